"""The grader's own logic, unit by unit: report reading, figures in text, the grader's rule,
the handle watch and the labelled orders. (The probes end to end are in test_fidelity.py.)"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pandas as pd
import pytest

from stage1_grading.custom_rule import NAME, VALUES, blank_marked, make_rule_class
from stage1_grading.handles import watch_handles
from stage1_grading.interface import InterfaceError
from stage1_grading.orders import BAD_DATE, grader_orders
from stage1_grading.probe_correctness import CHUNKS
from stage1_grading.probe_monitor import MEMORY_KEYS, TIME_KEYS, figure_from_text
from stage1_grading.report_reading import read_report


# ---------------------------------------------------------------- report reading
def test_a_report_is_read_into_rule_ids_rows_and_verdicts() -> None:
    report = {
        "passed": np.bool_(False),
        "rules": [
            {
                "rule": "unique",
                "column": ["a", "b"],
                "failing_count": np.int64(2),
                "passed": False,
                "samples": [{"index": np.int64(3)}, {"index": 7.0}],
            },
            {"rule": "row_count", "column": None, "failing_count": 0, "passed": True},
        ],
    }
    read = read_report(report, "f()")
    assert read.passed is False
    assert read.rules["unique:a,b"].rows == {3, 7} and read.rules["unique:a,b"].failing_count == 2
    assert read.rules["row_count:"].passed is True


@pytest.mark.parametrize(
    ("report", "message"),
    [
        (None, "returned NoneType"),
        ({"passed": True}, "without a 'rules' list"),
        ({"rules": [1]}, "not a dict"),
    ],
)
def test_a_report_of_the_wrong_shape_is_refused_with_what_was_returned(
    report: Any, message: str
) -> None:
    with pytest.raises(InterfaceError, match=message):
        read_report(report, "validate_dataset")


# ---------------------------------------------------------------- figures in text
def test_figures_come_from_key_value_pairs_not_from_names() -> None:
    text = "grader_task_200ms took 0.0001 s\nINFO grader_task wall_s=0.3012 peak_mb=160.5\n"
    assert figure_from_text(text, TIME_KEYS) == (pytest.approx(0.3012), "wall_s")
    assert figure_from_text(text, MEMORY_KEYS) == (pytest.approx(160.5), "peak_mb")
    assert figure_from_text("grader_task_200ms took 200 ms", TIME_KEYS) == (None, "")


# ---------------------------------------------------------------- the grader's rule
def test_marked_values_become_none_in_every_container() -> None:
    frame = pd.DataFrame({"x": VALUES, "y": range(7)})
    blanked = blank_marked(frame)
    assert blanked["x"].isna().tolist() == [True, False, True, False, True, False, False]
    assert blanked["y"].tolist() == list(range(7))
    assert blank_marked([7_000_001, "7000003", 5]) == [None, None, 5]
    assert blank_marked({"x": 7_000_005}) == {"x": None}
    assert blank_marked(np.array(VALUES))[0] is None
    assert blank_marked(pd.Series([1, 2])).dtype == np.int64  # nothing marked: untouched


class _MaskRule(ABC):
    name: ClassVar[str] = ""

    def __init__(self, column: str) -> None:
        self.column = column

    @abstractmethod
    def check(self, df: pd.DataFrame) -> pd.Series: ...


class _NotNullMask(_MaskRule):
    name = "not_null"

    def check(self, df: pd.DataFrame) -> pd.Series:
        return df[self.column].isna()  # True = failing


class _NotNullRows(_MaskRule):
    name = "not_null"

    def check(self, df: pd.DataFrame) -> list[int]:  # type: ignore[override]
        return [i for i, v in df[self.column].items() if v is None or v != v]


class _NotNullPerValue(_MaskRule):
    name = "not_null"

    def check(self, df: pd.DataFrame) -> pd.Series:
        return df[self.column].map(self.is_valid)  # True = passing

    def is_valid(self, value: Any) -> bool:
        return value is not None and value == value


def _ours(cls: Any) -> bool:
    return getattr(cls, "__module__", "") == __name__


@pytest.mark.parametrize(
    ("parent", "expected"),
    [
        (_NotNullMask, [True, False, True, False, True, False, False]),
        (_NotNullRows, [0, 2, 4]),
        (_NotNullPerValue, [False, True, False, True, False, True, True]),
    ],
)
def test_the_grader_rule_answers_in_the_learners_own_convention(
    parent: type, expected: list
) -> None:
    custom = make_rule_class(parent, _ours)
    assert custom.name == NAME and issubclass(custom, parent)
    answer = custom("x").check(pd.DataFrame({"x": VALUES}))
    assert list(answer) == expected


# ---------------------------------------------------------------- handle watch
def _leaks_while_failing(path: Path) -> None:
    handle = open(path, encoding="utf-8")  # noqa: SIM115 - the leak under test
    handle.read()
    raise ValueError("bad data")


def _closes_while_failing(path: Path) -> None:
    with open(path, encoding="utf-8") as handle:
        handle.read()
        raise ValueError("bad data")


def _never_closes(path: Path) -> str:
    return open(path, encoding="utf-8").read()  # the leak under test


@pytest.mark.parametrize(
    ("fn", "open_while_failing", "unclosed"),
    [
        (_leaks_while_failing, True, True),
        (_closes_while_failing, False, False),
        (_never_closes, False, True),
    ],
)
def test_leaked_handles_are_seen_while_the_error_is_alive_or_by_their_warning(
    tmp_path: Path, fn: Any, open_while_failing: bool, unclosed: bool
) -> None:
    path = tmp_path / "data.txt"
    path.write_text("x\n", encoding="utf-8")
    with watch_handles(tmp_path) as watch:
        watch.call(fn, path)
    assert bool(watch.open_while_failing) is open_while_failing
    assert bool(watch.unclosed) is unclosed
    assert watch.leaked is (open_while_failing or unclosed)


# ---------------------------------------------------------------- labelled orders
@pytest.mark.parametrize("rows", [2000, 20000])
def test_orders_labels_hold_and_the_last_chunk_has_labelled_rows(rows: int) -> None:
    data = grader_orders(rows)
    labelled = set().union(*data.expected.values())
    errors_only = set().union(
        *(r for rid, r in data.expected.items() if not data.expected_mild[rid])
    )
    assert len(data.mild) == rows - len(errors_only)
    assert sum(map(len, data.expected_mild.values())) == len(labelled) - len(errors_only)
    assert (
        data.dirty.loc[sorted(data.expected["date_format:order_date"]), "order_date"] == BAD_DATE
    ).all()
    chunk = math.ceil(rows / CHUNKS)
    last_start = (rows // chunk) * chunk
    assert 0 < rows - last_start < chunk  # a partial last chunk...
    assert any(row >= last_start for row in labelled)  # ...holding errors a reader must not drop
