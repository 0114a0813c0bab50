"""The rule hierarchy's roots and the registry that maps config names to rule classes.

Rule (abstract)                 severity, mostly; ``check(df)`` -> boolean mask of failing rows
 ├── ColumnRule (abstract)      one column; subclasses implement ``check_column(values)``
 │    └── not_null, dtype, range, allowed_values, regex, str_length, date_format, unique
 ├── compare, unique (on several columns)   row rules over more than one column
 └── DatasetRule (abstract)     judged on the whole dataset (row_count), not row by row

Every ``check`` is vectorised: it returns one boolean per row, computed with pandas, never with
a Python loop over rows. The validator dispatches polymorphically: it never asks which rule it
holds, it only calls ``check`` (or ``new_accumulator`` for rules that need state across chunks).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from enum import StrEnum
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field

if TYPE_CHECKING:
    from stage1_validation.accumulate import Accumulator

__all__ = [
    "ColumnRule",
    "DatasetRule",
    "Rule",
    "Severity",
    "available_rules",
    "bounds_in_order",
    "get_rule_class",
    "register_rule",
    "unregister_rule",
]

_COMMON_FIELDS = frozenset({"severity", "mostly", "column"})


def bounds_in_order(low: Any, high: Any) -> None:
    """Refuse ``min`` above ``max``: such a rule would fail every row, which is never meant."""
    if low is not None and high is not None and low > high:
        raise ValueError(f"min ({low}) is above max ({high}); swap them")


class Severity(StrEnum):
    """How bad a failing rule is: only ERROR makes a report fail."""

    ERROR = "error"
    WARNING = "warning"


class Rule(BaseModel, ABC):
    """One data-quality rule; subclasses set ``name`` and implement ``check``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: ClassVar[str] = ""

    severity: Severity = Severity.ERROR
    mostly: float = Field(default=1.0, ge=0.0, le=1.0)

    @abstractmethod
    def check(self, df: pd.DataFrame) -> pd.Series:
        """Return a boolean Series aligned with ``df``: True where the row FAILS the rule."""

    def columns_used(self) -> list[str]:
        """Columns the rule reads (checked for presence before any rule runs)."""
        return []

    def target(self) -> str | list[str] | None:
        """What the report shows in its ``column`` field."""
        cols = self.columns_used()
        if not cols:
            return None
        return cols[0] if len(cols) == 1 else cols

    def params(self) -> dict[str, Any]:
        """The rule's own parameters (no severity/mostly/column), JSON-ready."""
        data = self.model_dump(mode="json", exclude_defaults=True)
        return {k: v for k, v in data.items() if k not in _COMMON_FIELDS}

    def to_config(self) -> dict[str, Any]:
        """The rule as one config entry; ``load`` of this gives back an equal rule."""
        return {"rule": self.name, **self.model_dump(mode="json", exclude_defaults=True)}

    def new_accumulator(self, *, sample_size: int, key_columns: list[str]) -> Accumulator:
        """State that merges this rule's outcome over chunks (row rules just add counts)."""
        from stage1_validation.accumulate import RowAccumulator

        return RowAccumulator(self, sample_size=sample_size, key_columns=key_columns)

    def describe(self) -> str:
        """A short human sentence for reports, e.g. ``range(amount) min=0 max=10000``."""
        params = " ".join(f"{k}={v}" for k, v in self.params().items())
        target = self.target()
        column = ",".join(target) if isinstance(target, list) else (target or "")
        return f"{self.name}({column}) {params}".strip()


class ColumnRule(Rule):
    """A rule on the values of one column; nulls pass (``not_null`` is their own rule)."""

    column: str

    def columns_used(self) -> list[str]:
        return [self.column]

    def check(self, df: pd.DataFrame) -> pd.Series:
        values = df[self.column]
        failing = self.check_column(values)
        return failing.fillna(False).astype(bool)

    @abstractmethod
    def check_column(self, values: pd.Series) -> pd.Series:
        """Return True where a value FAILS the rule."""


class DatasetRule(Rule):
    """A rule judged once on the whole dataset (no failing rows, only pass or fail)."""

    def check(self, df: pd.DataFrame) -> pd.Series:
        # No single row can fail a dataset rule; its verdict comes from ``judge``.
        return pd.Series(False, index=df.index)

    @abstractmethod
    def judge(self, n_rows: int) -> bool:
        """True when the dataset as a whole passes."""

    def new_accumulator(self, *, sample_size: int, key_columns: list[str]) -> Accumulator:
        from stage1_validation.accumulate import DatasetAccumulator

        return DatasetAccumulator(self)


_REGISTRY: dict[str, type[Rule]] = {}

R = TypeVar("R", bound=type[Rule])


def register_rule(cls: R, *, replace: bool = False) -> R:
    """Make ``cls`` usable from config as ``rule: <cls.name>``; usable as a class decorator.

    **Usage**::

        @register_rule
        class Positive(ColumnRule):
            name: ClassVar[str] = "positive"

            def check_column(self, values: pd.Series) -> pd.Series:
                return values <= 0
    """
    if not (isinstance(cls, type) and issubclass(cls, Rule)):
        raise TypeError(f"register_rule expects a Rule subclass, got {cls!r}")
    if not cls.name:
        raise ValueError(f"{cls.__name__} needs a class attribute `name` (the config name)")
    if cls.name in _REGISTRY and not replace and _REGISTRY[cls.name] is not cls:
        raise ValueError(
            f"a rule named {cls.name!r} is already registered ({_REGISTRY[cls.name].__name__}); "
            "pick another name or pass replace=True"
        )
    _REGISTRY[cls.name] = cls
    return cls


def unregister_rule(name: str) -> None:
    """Remove a rule from the registry (tests and plug-in reloads use this)."""
    _REGISTRY.pop(name, None)


def get_rule_class(name: str) -> type[Rule] | None:
    """The class registered under ``name``, or None."""
    return _REGISTRY.get(name)


def available_rules() -> list[str]:
    """Every registered rule name, sorted."""
    return sorted(_REGISTRY)
