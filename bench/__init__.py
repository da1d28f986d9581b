"""lakeconsole's benchmark harness: `python -m bench` (see the README, Performance).

Each approach runs in its own subprocess so that its peak RSS is its own."""
