"""What a column's type compiles as, for every engine backend.

A backend compiles a rule only for the column types whose semantics it reproduces exactly;
every other column (object columns of mixed types, categoricals, masked integers, time zones)
is ``None`` here and its rules run in pandas, the reference.
"""

from __future__ import annotations

from typing import Any, Literal

import pandas as pd
import polars as pl

__all__ = ["NUMERIC", "Kind", "column_kind"]

Kind = Literal["int", "uint", "float", "bool", "str", "datetime"]
NUMERIC: tuple[Kind, ...] = ("int", "uint", "float", "bool")


def column_kind(dtype: Any) -> Kind | None:
    """What a pandas or Polars column type compiles as; None for types left to pandas."""
    if isinstance(dtype, pl.DataType):
        return _polars_kind(dtype)
    if isinstance(dtype, pd.StringDtype):
        return "str" if dtype.storage == "pyarrow" else None
    if not hasattr(dtype, "kind") or isinstance(dtype, pd.api.extensions.ExtensionDtype):
        return None  # masked Int64/boolean, categoricals, tz-aware: pandas semantics (pd.NA)
    return {"b": "bool", "i": "int", "u": "uint", "f": "float", "M": "datetime"}.get(dtype.kind)  # type: ignore[return-value]


def _polars_kind(dtype: pl.DataType) -> Kind | None:
    if dtype == pl.Boolean:
        return "bool"
    if dtype.is_signed_integer():
        return "int"
    if dtype.is_unsigned_integer():
        return "uint"
    if dtype.is_float():
        return "float"
    if dtype == pl.String:
        return "str"
    if isinstance(dtype, pl.Datetime) and dtype.time_zone is None:
        return "datetime"
    return None
