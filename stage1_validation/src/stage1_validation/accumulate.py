"""Accumulators: each rule's outcome merged over chunks, so chunked == whole-frame.

Whole-frame validation is chunked validation with one chunk: both go through ``add`` and
``result``, which is why their reports are equal by construction (tests check it anyway).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import TYPE_CHECKING, Any

import pandas as pd

from stage1_validation.report import RuleResult, Sample, to_jsonable

if TYPE_CHECKING:
    from stage1_validation.rules.base import DatasetRule, Rule
    from stage1_validation.rules.dataset import UniqueRule

__all__ = [
    "Accumulator",
    "DatasetAccumulator",
    "RowAccumulator",
    "UniqueAccumulator",
    "make_samples",
]


class Accumulator(ABC):
    """Collects one rule's outcome chunk by chunk."""

    rule: Rule

    def __init__(self) -> None:
        self.rows = 0

    @abstractmethod
    def add(self, chunk: pd.DataFrame) -> None:
        """Fold one chunk (rows in file order) into the state."""

    @abstractmethod
    def result(self) -> RuleResult:
        """The rule's verdict over every chunk added so far."""

    def outcome(self, *, rows: int, failing: int, samples: list[Sample]) -> RuleResult:
        """The result from an outcome computed elsewhere (another backend) over ``rows`` rows."""
        self.rows = rows
        return self._verdict(failing, samples)

    def _verdict(self, failing: int, samples: list[Sample], message: str = "") -> RuleResult:
        ratio = failing / self.rows if self.rows else 0.0
        passed = (1.0 - ratio) >= self.rule.mostly if failing else True
        if not message:
            message = (
                f"{failing} of {self.rows} row(s) fail {self.rule.describe()}" if failing else "ok"
            )
        return RuleResult(
            rule=self.rule.name,
            column=self.rule.target(),
            severity=self.rule.severity.value,
            passed=passed,
            failing_count=failing,
            failing_ratio=round(ratio, 8),
            rows_checked=self.rows,
            mostly=self.rule.mostly,
            params=self.rule.params(),
            samples=samples,
            message=message,
        )


def make_samples(
    frame: pd.DataFrame, value_columns: list[str], key_columns: list[str]
) -> list[Sample]:
    """Samples for the (few) failing rows in ``frame``: index, value(s), optional key."""
    samples = []
    for index, row in zip(frame.index, frame.to_dict("records"), strict=True):
        if len(value_columns) == 1:
            value: Any = to_jsonable(row[value_columns[0]])
        else:
            value = {c: to_jsonable(row[c]) for c in value_columns}
        key = {c: to_jsonable(row[c]) for c in key_columns} if key_columns else None
        samples.append(Sample(index=to_jsonable(index), value=value, key=key))
    return samples


class RowAccumulator(Accumulator):
    """For rules whose rows can be judged one chunk at a time: add up counts, keep N samples."""

    def __init__(self, rule: Rule, *, sample_size: int, key_columns: list[str]) -> None:
        super().__init__()
        self.rule = rule
        self.sample_size = sample_size
        self.key_columns = key_columns
        self.failing = 0
        self.samples: list[Sample] = []

    def add(self, chunk: pd.DataFrame) -> None:
        mask = self.rule.check(chunk)
        self.rows += len(chunk)
        n_failing = int(mask.sum())
        self.failing += n_failing
        room = self.sample_size - len(self.samples)
        if n_failing and room > 0:
            cols = _unique([*self.rule.columns_used(), *self.key_columns])
            failing_rows = chunk.loc[mask, cols].head(room)
            self.samples += make_samples(failing_rows, self.rule.columns_used(), self.key_columns)

    def result(self) -> RuleResult:
        return self._verdict(self.failing, self.samples)


class UniqueAccumulator(Accumulator):
    """Keeps the key columns of every chunk and finds duplicates at the end.

    Memory grows with rows x key width (8 bytes per row for one int64 key), the price of an
    exact answer across chunks; everything else about a chunk is dropped once it is checked.
    """

    def __init__(self, rule: UniqueRule, *, sample_size: int, key_columns: list[str]) -> None:
        super().__init__()
        self.rule = rule
        self.sample_size = sample_size
        self.key_columns = key_columns
        self.parts: list[pd.DataFrame] = []

    def add(self, chunk: pd.DataFrame) -> None:
        cols = _unique([*self.rule.columns_used(), *self.key_columns])
        self.parts.append(chunk[cols].copy())
        self.rows += len(chunk)

    def failing_index(self) -> pd.Index:
        """Index labels of every row in a duplicated key (all copies, not only the later ones)."""
        if not self.parts:
            return pd.Index([])
        frame = self._frame()
        return frame.index[self.rule.check(frame)]

    def _frame(self) -> pd.DataFrame:
        if len(self.parts) > 1:
            self.parts = [pd.concat(self.parts)]
        return self.parts[0]

    def result(self) -> RuleResult:
        if not self.parts:
            return self._verdict(0, [])
        frame = self._frame()
        mask = self.rule.check(frame)
        failing = int(mask.sum())
        samples = make_samples(
            frame.loc[mask].head(self.sample_size), self.rule.columns_used(), self.key_columns
        )
        return self._verdict(failing, samples)


class DatasetAccumulator(Accumulator):
    """For rules judged on the whole dataset: count rows, judge once at the end."""

    def __init__(self, rule: DatasetRule) -> None:
        super().__init__()
        self.rule = rule
        self.dataset_rule = rule

    def add(self, chunk: pd.DataFrame) -> None:
        self.rows += len(chunk)

    def outcome(self, *, rows: int, failing: int, samples: list[Sample]) -> RuleResult:
        self.rows = rows  # judged on the row count alone
        return self.result()

    def result(self) -> RuleResult:
        rule = self.dataset_rule
        passed = rule.judge(self.rows)
        message = f"{self.rows} row(s)" + ("" if passed else f" break {rule.describe()}")
        result = self._verdict(0 if passed else 1, [], message)
        samples = [] if passed else [Sample(index=None, value=self.rows)]
        return result.model_copy(
            update={
                "passed": passed,
                "failing_ratio": 0.0 if passed else 1.0,
                "samples": samples,
            }
        )


def _unique(names: list[str]) -> list[str]:
    return list(dict.fromkeys(names))
