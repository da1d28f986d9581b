"""The engine's declarative blocks: bronze, silver and gold work for any declared table.

Each block module has `run(ctx, table)`, the step the pipeline API builds for a table it
declares (core.api). The runbook's rules live here, once, for every pipeline.
"""
