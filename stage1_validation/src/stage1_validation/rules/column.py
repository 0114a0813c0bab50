"""Rules on one column's values: nulls, types, ranges, sets, patterns, lengths, date formats."""

from __future__ import annotations

import math
import re
from datetime import date, datetime
from typing import ClassVar

import pandas as pd
from pydantic import Field, field_validator, model_validator

from stage1_validation.rules._arrow import regex_matches
from stage1_validation.rules.base import ColumnRule, bounds_in_order, register_rule

__all__ = [
    "AllowedValuesRule",
    "DateFormatRule",
    "DtypeRule",
    "NotNullRule",
    "RangeRule",
    "RegexRule",
    "StrLengthRule",
]

Scalar = bool | int | float | str
DTYPE_ALIASES: dict[str, str] = {
    "int": "int",
    "int64": "int",
    "int32": "int",
    "integer": "int",
    "float": "float",
    "float64": "float",
    "float32": "float",
    "number": "float",
    "str": "str",
    "string": "str",
    "object": "str",
    "bool": "bool",
    "boolean": "bool",
    "datetime": "datetime",
    "datetime64": "datetime",
    "datetime64[ns]": "datetime",
    "date": "datetime",
}
_TRUE_FALSE = [True, False, "true", "false", "True", "False", "TRUE", "FALSE", 0, 1]
# Text that is certainly a number; anything else is decided by pd.to_numeric (slower).
_PLAIN_INT = r"[-+]?\d+"
_PLAIN_FLOAT = r"[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?"


@register_rule
class NotNullRule(ColumnRule):
    """Fails rows whose value is missing (None, NaN, NaT or an empty CSV field)."""

    name: ClassVar[str] = "not_null"

    def check_column(self, values: pd.Series) -> pd.Series:
        return values.isna()


@register_rule
class DtypeRule(ColumnRule):
    """Fails rows whose value cannot be read as ``dtype`` (int, float, str, bool, datetime).

    A column that already has the dtype passes at once; otherwise each value is coerced
    (vectorised) and values that do not survive the coercion fail. Row-level, so a CSV column
    with one bad value reports that value's row rather than "wrong dtype".
    """

    name: ClassVar[str] = "dtype"
    dtype: str

    @field_validator("dtype")
    @classmethod
    def _known_dtype(cls, value: str) -> str:
        if value not in DTYPE_ALIASES:
            raise ValueError(f"unknown dtype {value!r}; use one of {sorted(DTYPE_ALIASES)}")
        return value

    def check_column(self, values: pd.Series) -> pd.Series:
        kind = DTYPE_ALIASES[self.dtype]
        present = values.notna()
        if kind == "int":
            if pd.api.types.is_integer_dtype(values) or pd.api.types.is_bool_dtype(values):
                return pd.Series(False, index=values.index)
            return present & ~_numeric_text(values, _PLAIN_INT, integer=True)
        if kind == "float":
            if pd.api.types.is_numeric_dtype(values):
                return pd.Series(False, index=values.index)
            return present & ~_numeric_text(values, _PLAIN_FLOAT, integer=False)
        if kind == "str":
            if pd.api.types.is_string_dtype(values) and not pd.api.types.is_object_dtype(values):
                return pd.Series(False, index=values.index)
            # astype(str) leaves strings unchanged and turns anything else into a new object,
            # so "equal to its string form" means "is a string".
            as_text = values.astype(str).astype(object)
            return present & (as_text != values.astype(object))
        if kind == "bool":
            if pd.api.types.is_bool_dtype(values):
                return pd.Series(False, index=values.index)
            return present & ~values.isin(_TRUE_FALSE)
        if pd.api.types.is_datetime64_any_dtype(values):
            return pd.Series(False, index=values.index)
        parsed = pd.to_datetime(values, errors="coerce", format="ISO8601")
        return present & parsed.isna()


def _numeric_text(values: pd.Series, plain: str, *, integer: bool) -> pd.Series:
    """True where a value reads as a number (an integer if ``integer``), as pd.to_numeric does.

    Plain numbers are recognised by one vectorised regex; only the rest (rare: "1e3", " 7",
    "three") go through pd.to_numeric, so the answer is pandas' but the cost is not.
    """
    ok = regex_matches(values, plain, full=True)
    if ok is None:
        ok = pd.Series(False, index=values.index)
    unsure = ~ok & values.notna()
    if unsure.any():
        numbers = pd.to_numeric(values[unsure], errors="coerce")
        good = numbers.notna() & ((numbers % 1 == 0) if integer else True)
        ok[unsure] = good.to_numpy()
    return ok


@register_rule
class RangeRule(ColumnRule):
    """Fails numbers (or dates) below ``min`` or above ``max``; bounds are inclusive unless told.

    Values that are not numbers at all are left to the ``dtype`` rule, so one bad value is
    reported once, by the rule that is about it.
    """

    name: ClassVar[str] = "range"
    min: float | date | datetime | None = None
    max: float | date | datetime | None = None
    min_inclusive: bool = True
    max_inclusive: bool = True

    @field_validator("min", "max")
    @classmethod
    def _not_nan(cls, value: float | date | None) -> float | date | None:
        if isinstance(value, float) and math.isnan(value):
            raise ValueError("NaN is no bound (every comparison with it is false)")
        return value

    @model_validator(mode="after")
    def _has_a_bound(self) -> RangeRule:
        if self.min is None and self.max is None:
            raise ValueError("give at least one of min and max")
        if self.min is None or self.max is None:
            return self
        if isinstance(self.min, date) != isinstance(self.max, date):
            raise ValueError("min and max must both be numbers or both be dates")
        if isinstance(self.min, date):  # a date and a datetime compare as timestamps
            bounds_in_order(pd.Timestamp(self.min), pd.Timestamp(self.max))
        else:
            bounds_in_order(self.min, self.max)
        return self

    def check_column(self, values: pd.Series) -> pd.Series:
        if isinstance(self.min, date) or isinstance(self.max, date):
            series = pd.to_datetime(values, errors="coerce", format="ISO8601")
            low = pd.Timestamp(self.min) if self.min is not None else None
            high = pd.Timestamp(self.max) if self.max is not None else None
            return _outside(series, low, high, self.min_inclusive, self.max_inclusive)
        numbers = (
            values if pd.api.types.is_numeric_dtype(values) else pd.to_numeric(values, "coerce")
        )
        return _outside(numbers, self.min, self.max, self.min_inclusive, self.max_inclusive)


def _outside(
    series: pd.Series, low: object, high: object, low_inclusive: bool, high_inclusive: bool
) -> pd.Series:
    failing = pd.Series(False, index=series.index)
    if low is not None:
        failing |= (series < low) if low_inclusive else (series <= low)
    if high is not None:
        failing |= (series > high) if high_inclusive else (series >= high)
    return failing & series.notna()


@register_rule
class AllowedValuesRule(ColumnRule):
    """Fails values not in ``values`` (a closed set, like an enum)."""

    name: ClassVar[str] = "allowed_values"
    values: list[Scalar] = Field(min_length=1)

    def check_column(self, values: pd.Series) -> pd.Series:
        return values.notna() & ~values.isin(self.values)


@register_rule
class RegexRule(ColumnRule):
    """Fails text that does not match ``pattern`` (whole value by default; ``full: false`` searches).

    On Arrow-backed text the pattern runs in Arrow's RE2 engine (fast); patterns RE2 cannot
    compile (lookarounds, backreferences) and non-text columns use Python's ``re``.
    """

    name: ClassVar[str] = "regex"
    pattern: str
    full: bool = True

    @field_validator("pattern")
    @classmethod
    def _compiles(cls, value: str) -> str:
        try:
            re.compile(value)
        except re.error as exc:
            raise ValueError(f"not a valid regular expression: {exc}") from exc
        return value

    def check_column(self, values: pd.Series) -> pd.Series:
        matched = regex_matches(values, self.pattern, full=self.full)
        if matched is None:  # not Arrow text, or a pattern only Python's re understands
            text = values.astype("str")
            found = (
                text.str.fullmatch(self.pattern) if self.full else text.str.contains(self.pattern)
            )
            matched = found.fillna(False).astype(bool)
        return values.notna() & ~matched


@register_rule
class StrLengthRule(ColumnRule):
    """Fails text shorter than ``min`` or longer than ``max`` characters."""

    name: ClassVar[str] = "str_length"
    min: int | None = Field(default=None, ge=0)
    max: int | None = Field(default=None, ge=0)

    @model_validator(mode="after")
    def _has_a_bound(self) -> StrLengthRule:
        if self.min is None and self.max is None:
            raise ValueError("give at least one of min and max")
        bounds_in_order(self.min, self.max)
        return self

    def check_column(self, values: pd.Series) -> pd.Series:
        lengths = values.astype("str").str.len()
        return _outside(lengths, self.min, self.max, True, True) & values.notna()


@register_rule
class DateFormatRule(ColumnRule):
    """Fails text that does not parse as a date/datetime with ``format`` (strftime codes).

    ``format: ISO8601`` accepts any ISO 8601 date or datetime. A column already parsed as
    datetime passes.
    """

    name: ClassVar[str] = "date_format"
    format: str = "%Y-%m-%d"

    @field_validator("format")
    @classmethod
    def _known_directives(cls, value: str) -> str:
        try:  # a bad directive (%Q) raises even with errors="coerce"; find it now, not mid-file
            pd.to_datetime(pd.Series(["2000-01-01"]), format=value, errors="coerce")
        except ValueError as exc:
            raise ValueError(f"not a usable date format: {exc}") from None
        return value

    def check_column(self, values: pd.Series) -> pd.Series:
        if pd.api.types.is_datetime64_any_dtype(values):
            return pd.Series(False, index=values.index)
        parsed = pd.to_datetime(values.astype("str"), format=self.format, errors="coerce")
        return values.notna() & parsed.isna()
