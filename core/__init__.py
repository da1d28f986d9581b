"""lakeconsole's engine. Never imports Textual: the CLI and the console are two faces of it."""
