"""The `lakeconsole` command line: one module per subcommand, found automatically."""
