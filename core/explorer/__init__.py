"""The table explorer: lake tables, Delta history, one version (schema, rows), compare, restore.

Engine code only (no Textual): the `tables`, `history`, `show`, `diff` and `restore-version`
commands and the console's tables view all call these modules.
"""
