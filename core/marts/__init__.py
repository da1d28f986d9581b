"""Gold data marts and their READMEs (OPS-05): required sections, template, column dictionary.

A mart is a folder under `gold/` holding one or more Delta tables; its `README.md` sits next to
the tables (never inside a table's folder, where a full VACUUM would delete it).
"""
