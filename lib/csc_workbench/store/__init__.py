"""The DuckDB store of vintaged atoms."""

from csc_workbench.store.atoms import ATOM_COLUMNS, KEY, Store

__all__ = ["ATOM_COLUMNS", "KEY", "Store"]
