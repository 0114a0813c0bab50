"""Rules over more than one column or the whole dataset: unique keys, comparisons, row counts."""

from __future__ import annotations

import operator
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ClassVar, Literal

import pandas as pd
from pydantic import Field, model_validator

from stage1_validation.rules.base import DatasetRule, Rule, bounds_in_order, register_rule

if TYPE_CHECKING:
    from stage1_validation.accumulate import Accumulator

__all__ = ["CompareRule", "RowCountRule", "UniqueRule"]

Operator = Literal["<", "<=", "==", "!=", ">=", ">"]
_OPERATORS: dict[str, Callable[[Any, Any], Any]] = {
    "<": operator.lt,
    "<=": operator.le,
    "==": operator.eq,
    "!=": operator.ne,
    ">=": operator.ge,
    ">": operator.gt,
}


@register_rule
class UniqueRule(Rule):
    """Fails every row whose value (or combination of ``columns``) occurs more than once.

    Written under a column (``columns: {id: [{rule: unique}]}``) it checks that column; under
    ``dataset.rules`` give ``columns: [a, b]`` for a composite key. Rows with a null in the key
    are skipped, as SQL UNIQUE does. Across chunks it keeps the key columns and decides at the
    end, so a duplicate split over two chunks is still found.
    """

    name: ClassVar[str] = "unique"
    column: str | None = None
    columns: list[str] | None = Field(default=None, min_length=1)

    @model_validator(mode="after")
    def _one_target(self) -> UniqueRule:
        if (self.column is None) == (self.columns is None):
            raise ValueError("give exactly one of `column` and `columns`")
        return self

    def columns_used(self) -> list[str]:
        return [self.column] if self.column is not None else list(self.columns or [])

    def target(self) -> str | list[str] | None:
        return self.column if self.column is not None else list(self.columns or [])

    def describe(self) -> str:
        return f"unique({','.join(self.columns_used())})"

    def check(self, df: pd.DataFrame) -> pd.Series:
        cols = self.columns_used()
        keys = df[cols]
        complete = keys.notna().all(axis=1)
        failing = keys.duplicated(keep=False) & complete
        return failing

    def new_accumulator(self, *, sample_size: int, key_columns: list[str]) -> Accumulator:
        from stage1_validation.accumulate import UniqueAccumulator

        return UniqueAccumulator(self, sample_size=sample_size, key_columns=key_columns)


@register_rule
class CompareRule(Rule):
    """Fails rows where ``left op right`` is false; ``right`` is a column, or use ``value``.

    Example: ``{rule: compare, left: ship_date, op: ">=", right: order_date}``. ``as_type``
    (auto|number|datetime|text) says how to compare; auto uses datetime when either side is a
    datetime column, number when either is numeric, else text (ISO dates compare correctly as
    text). Rows with a null on either side are skipped.
    """

    name: ClassVar[str] = "compare"
    left: str
    op: Operator
    right: str | None = None
    value: float | str | None = None
    as_type: Literal["auto", "number", "datetime", "text"] = "auto"

    @model_validator(mode="after")
    def _one_right_side(self) -> CompareRule:
        if (self.right is None) == (self.value is None):
            raise ValueError("give exactly one of `right` (a column) and `value` (a constant)")
        return self

    def columns_used(self) -> list[str]:
        return [self.left] + ([self.right] if self.right is not None else [])

    def describe(self) -> str:
        right = self.right if self.right is not None else repr(self.value)
        return f"compare({self.left} {self.op} {right})"

    def check(self, df: pd.DataFrame) -> pd.Series:
        left = df[self.left]
        right: pd.Series | Any = df[self.right] if self.right is not None else self.value
        left, right = _comparable(left, right, self.as_type)
        holds = _OPERATORS[self.op](left, right)
        present = left.notna()
        if isinstance(right, pd.Series):
            present &= right.notna()
        failing: pd.Series = present & ~holds.fillna(False).astype(bool)
        return failing


def _comparable(
    left: pd.Series, right: pd.Series | Any, as_type: str
) -> tuple[pd.Series, pd.Series | Any]:
    """Bring both sides to one type, so ``>=`` means the same thing in every chunk."""
    sides = [left, right]
    if as_type == "auto":
        if any(isinstance(s, pd.Series) and pd.api.types.is_datetime64_any_dtype(s) for s in sides):
            as_type = "datetime"
        elif any(
            isinstance(s, int | float)
            or (isinstance(s, pd.Series) and pd.api.types.is_numeric_dtype(s))
            for s in sides
        ):
            as_type = "number"
        else:
            as_type = "text"
    if as_type == "datetime":
        return _to_datetime(left), _to_datetime(right)
    if as_type == "number":
        return _to_number(left), _to_number(right)
    return left, right


def _to_datetime(side: pd.Series | Any) -> pd.Series | Any:
    if isinstance(side, pd.Series):
        if pd.api.types.is_datetime64_any_dtype(side):
            return side
        return pd.to_datetime(side, errors="coerce", format="ISO8601")
    return pd.Timestamp(side)


def _to_number(side: pd.Series | Any) -> pd.Series | Any:
    if isinstance(side, pd.Series):
        return side if pd.api.types.is_numeric_dtype(side) else pd.to_numeric(side, "coerce")
    return float(side)


@register_rule
class RowCountRule(DatasetRule):
    """Fails when the number of rows is below ``min`` or above ``max``."""

    name: ClassVar[str] = "row_count"
    min: int | None = Field(default=None, ge=0)
    max: int | None = Field(default=None, ge=0)

    @model_validator(mode="after")
    def _has_a_bound(self) -> RowCountRule:
        if self.min is None and self.max is None:
            raise ValueError("give at least one of min and max")
        bounds_in_order(self.min, self.max)
        return self

    def judge(self, n_rows: int) -> bool:
        too_few = self.min is not None and n_rows < self.min
        too_many = self.max is not None and n_rows > self.max
        return not (too_few or too_many)
