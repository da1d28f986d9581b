# The everyday commands. Each one works on a fresh clone (setup.sh installs what it needs).
.PHONY: setup dev run console test lint lock bench

setup:            ## venv, pinned packages, lake folders, .env, sample data
	./setup.sh

dev:              ## setup plus the test and lint tools
	./setup.sh --dev

run: setup        ## run the pipeline headless
	.venv/bin/lakeconsole run

console: setup    ## open the console
	.venv/bin/lakeconsole

test: dev         ## the whole test suite (what CI runs)
	.venv/bin/pytest

lint: dev         ## ruff and mypy
	.venv/bin/ruff check .
	.venv/bin/mypy

lock:             ## re-pin requirements*.lock from pyproject.toml (needs uv: pip install uv)
	uv pip compile pyproject.toml -q --python-version 3.11 --no-header --extra dev --extra spark -o requirements-dev.lock
	uv pip compile pyproject.toml -q --python-version 3.11 --no-header -c requirements-dev.lock -o requirements.lock

bench: setup      ## the performance harness (see README, Performance)
	.venv/bin/python -m bench
