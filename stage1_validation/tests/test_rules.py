"""Each built-in rule on small Series, and polymorphic dispatch to a rule registered at run time."""

from __future__ import annotations

from typing import ClassVar

import numpy as np
import pandas as pd
import pytest

from stage1_validation import (
    ColumnRule,
    DataValidator,
    Rule,
    available_rules,
    register_rule,
    unregister_rule,
)
from stage1_validation.rules import (
    AllowedValuesRule,
    CompareRule,
    DateFormatRule,
    DtypeRule,
    NotNullRule,
    RangeRule,
    RegexRule,
    RowCountRule,
    StrLengthRule,
    UniqueRule,
)


def failing(rule: Rule, frame: pd.DataFrame) -> list[int]:
    mask = rule.check(frame)
    assert mask.dtype == bool and mask.index.equals(frame.index)
    return [int(i) for i in frame.index[mask]]


def test_not_null_flags_none_nan_and_nat() -> None:
    frame = pd.DataFrame(
        {
            "a": [1.0, np.nan, 3.0],
            "b": ["x", None, "z"],
            "t": pd.to_datetime(["2024-01-01", None, "2024-01-02"]),
        }
    )
    assert failing(NotNullRule(column="a"), frame) == [1]
    assert failing(NotNullRule(column="b"), frame) == [1]
    assert failing(NotNullRule(column="t"), frame) == [1]


@pytest.mark.parametrize(
    ("dtype", "values", "bad"),
    [
        ("int64", [1, 2, 3], []),
        ("int", [1.0, 2.5, None], [1]),
        ("int", [1, "two", "3", None], [1]),
        ("float", ["1.5", "x", None], [1]),
        ("str", ["a", 5, None], [1]),
        ("bool", [True, "false", "maybe"], [2]),
        ("datetime", ["2024-01-01", "soon", None], [1]),
    ],
)
def test_dtype_flags_values_that_do_not_coerce(
    dtype: str, values: list[object], bad: list[int]
) -> None:
    frame = pd.DataFrame({"c": pd.Series(values, dtype=object)})
    assert failing(DtypeRule(column="c", dtype=dtype), frame) == bad


def test_range_inclusive_flags_and_non_numbers_are_left_to_dtype() -> None:
    frame = pd.DataFrame({"x": [0, 5, 10, 11, -1, None]})
    assert failing(RangeRule(column="x", min=0, max=10), frame) == [3, 4]
    assert failing(
        RangeRule(column="x", min=0, max=10, min_inclusive=False, max_inclusive=False), frame
    ) == [0, 2, 3, 4]
    text = pd.DataFrame({"x": ["1", "abc", "50"]})
    assert failing(RangeRule(column="x", max=10), text) == [2]


def test_range_on_dates() -> None:
    frame = pd.DataFrame({"d": ["2023-12-31", "2024-06-01", "2025-01-01"]})
    rule = RangeRule.model_validate({"column": "d", "min": "2024-01-01", "max": "2024-12-31"})
    assert failing(rule, frame) == [0, 2]


def test_allowed_values_regex_length_and_date_format() -> None:
    frame = pd.DataFrame(
        {
            "c": ["KRW", "GBP", None],
            "e": ["a@b.io", "nope", None],
            "d": ["2024-01-31", "31/01/2024", "2024-02-30"],
        }
    )
    assert failing(AllowedValuesRule(column="c", values=["KRW", "USD"]), frame) == [1]
    assert failing(RegexRule(column="e", pattern=r"[^@]+@[^@]+\.\w+"), frame) == [1]
    assert failing(RegexRule(column="e", pattern="@", full=False), frame) == [1]
    assert failing(StrLengthRule(column="c", min=3, max=3), frame) == []
    assert failing(StrLengthRule(column="e", max=4), frame) == [0]
    assert failing(DateFormatRule(column="d", format="%Y-%m-%d"), frame) == [1, 2]


def test_unique_flags_every_copy_and_skips_null_keys() -> None:
    frame = pd.DataFrame({"a": [1, 1, 2, None, None], "b": [1, 1, 1, 1, 1]})
    assert failing(UniqueRule(columns=["a", "b"]), frame) == [0, 1]
    assert failing(UniqueRule(column="b"), frame) == [0, 1, 2, 3, 4]


def test_compare_columns_values_and_dates() -> None:
    frame = pd.DataFrame(
        {
            "start": ["2024-01-02", "2024-01-01", None],
            "end": ["2024-01-01", "2024-01-05", "2024-01-01"],
        }
    )
    assert failing(CompareRule(left="end", op=">=", right="start"), frame) == [0]
    assert failing(CompareRule(left="end", op=">=", right="start", as_type="datetime"), frame) == [
        0
    ]
    numbers = pd.DataFrame({"q": [1, 5, 10]})
    assert failing(CompareRule(left="q", op="<", value=6), numbers) == [2]


def test_row_count_judges_the_whole_dataset() -> None:
    assert RowCountRule(min=1, max=3).judge(3)
    assert not RowCountRule(min=1).judge(0)
    assert not RowCountRule(max=2).judge(3)


def test_checks_are_vectorised_on_a_large_frame() -> None:
    # not a timing test: it proves the rules accept a big frame and return one flag per row
    frame = pd.DataFrame({"x": np.arange(200_000)})
    assert RangeRule(column="x", max=100).check(frame).sum() == 200_000 - 101


def test_user_rule_registered_at_run_time_is_dispatched_polymorphically() -> None:
    class Positive(ColumnRule):
        """Fails zero and negative numbers."""

        name: ClassVar[str] = "test_positive"

        def check_column(self, values: pd.Series) -> pd.Series:
            return values <= 0

    register_rule(Positive)
    try:
        assert "test_positive" in available_rules()
        validator = DataValidator.from_dict({"columns": {"x": [{"rule": "test_positive"}]}})
        report = validator.validate_dataset(pd.DataFrame({"x": [3, 0, -2, 4]}))
        (result,) = report["rules"]
        assert result["rule"] == "test_positive" and result["failing_count"] == 2
        assert [s["index"] for s in result["samples"]] == [1, 2]
    finally:
        unregister_rule("test_positive")


def test_register_rule_refuses_a_clash_and_a_nameless_class() -> None:
    class Clash(ColumnRule):
        name: ClassVar[str] = "not_null"

        def check_column(self, values: pd.Series) -> pd.Series:
            return values.isna()

    with pytest.raises(ValueError, match="already registered"):
        register_rule(Clash)

    class Nameless(ColumnRule):
        def check_column(self, values: pd.Series) -> pd.Series:
            return values.isna()

    with pytest.raises(ValueError, match="needs a class attribute `name`"):
        register_rule(Nameless)
    with pytest.raises(TypeError):
        register_rule(int)  # type: ignore[type-var]


def test_arrow_fast_paths_agree_with_python_re_and_to_numeric() -> None:
    values = ["a@b.io", "nope", None, "x@y.z", "1e3", " 7", "three", "12", "-4", "2.5"]
    arrow = pd.DataFrame({"c": pd.Series(values, dtype="str")})
    python = pd.DataFrame({"c": pd.Series(values, dtype=object)})
    rules = [
        RegexRule(column="c", pattern=r"[^@]+@[^@]+\.\w{2,}"),
        RegexRule(column="c", pattern=r"(?<=@)b", full=False),  # lookbehind: RE2 cannot, falls back
        DtypeRule(column="c", dtype="int"),
        DtypeRule(column="c", dtype="float"),
    ]
    for rule in rules:
        assert failing(rule, arrow) == failing(rule, python), rule.describe()
    assert failing(DtypeRule(column="c", dtype="int"), arrow) == [0, 1, 3, 6, 9]
