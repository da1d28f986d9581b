"""Lineage from a gold row back to the landing lines behind it (`lakeconsole trace`).

plan.py derives, from the pipeline's declaration alone, which silver rows make up a gold row (the
gold key columns each silver table it reads also has) and how a silver key is found among the raw
lines of bronze and quarantine. trace.py reads them through read.py: DataFusion, pruning by
partition values and statistics, the condition's columns decoded first.
"""
