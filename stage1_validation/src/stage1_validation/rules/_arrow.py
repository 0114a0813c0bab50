"""Fast paths on Arrow-backed text columns (pandas 3's default ``str`` dtype).

pandas runs ``str.fullmatch`` as a Python call per value; Arrow runs the same regex in C++
(RE2) over the whole column, several times faster. These helpers return None when the fast
path does not apply (not Arrow-backed, or a pattern RE2 cannot compile, such as lookarounds),
and the caller falls back to pandas.
"""

from __future__ import annotations

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

__all__ = ["arrow_text", "regex_matches"]


def arrow_text(values: pd.Series) -> pa.ChunkedArray | pa.Array | None:
    """The column as an Arrow string array without a copy, or None if it is not one."""
    dtype = values.dtype
    if isinstance(dtype, pd.StringDtype) and dtype.storage == "pyarrow":
        return pa.array(values.array)
    return None


def regex_matches(values: pd.Series, pattern: str, *, full: bool) -> pd.Series | None:
    """Boolean Series (nulls -> False) of values matching ``pattern``, or None to fall back."""
    text = arrow_text(values)
    if text is None:
        return None
    anchored = f"^(?:{pattern})$" if full else pattern
    try:
        matched = pc.match_substring_regex(text, anchored)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None  # RE2 cannot compile it: let Python's re do it
    flags = pc.fill_null(matched, False).to_numpy(zero_copy_only=False)
    return pd.Series(flags, index=values.index)
