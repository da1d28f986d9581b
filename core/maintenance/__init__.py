"""Table upkeep (OPS-03, OPS-09): safe VACUUM, OPTIMIZE / Z-ORDER, the ledger of what was done,
overdue tracking and the latency watch. No Textual here: the CLI and the console share it."""
