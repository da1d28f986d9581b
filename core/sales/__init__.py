"""The sales lakehouse: landing CSV order lines → bronze → silver → gold mart `sales`.

Start reading at `definition.py`: every step, table, schema and version is declared there.
"""
