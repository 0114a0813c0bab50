"""The engine backends (Polars, DuckDB) give the pandas backend's report: verdicts, counts, rows.

Generated frames cover what differs between the engines: nulls, NaN vs None, NaN/inf/-0.0,
object columns of mixed types, empty and one-row frames, unicode text (Unicode digits and
spaces, which RE2 and Rust's regex read differently), huge and unsigned integers, dates that
only one parser would accept, duplicate keys with nulls.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pandas as pd
import polars as pl
import pytest

from stage1_validation import DataValidator, split_dataset
from stage1_validation.backends import Backend, check_backend, duckdb_compile
from stage1_validation.backends.duckdb_run import evaluate as duckdb_evaluate
from stage1_validation.backends.polars_compile import compile_rule, re2_to_rust
from stage1_validation.backends.polars_run import evaluate
from stage1_validation.synthetic import make_orders

TEXT = [
    "1", "-7", "+3", " 7", "1e3", "1.0", "1.5", ".5", "three", "99999999999999999999", "٣",
    "2024-02-29", "2023-02-29", "2024-1-5", "0000-01-01", "1500-01-01", "2024-01-05T10:00",
    "2024-13-01", "2024-01-05 ", "03/15/2024", "2024-01-05 10:11:12", "2024-01-05 24:00:00",
    "a@b.co", "user٣@example.com", "x y@z.io", "no-at.example", "ß", "Straße", "日本", "🙂",
    "\u00a0", "\u2003x", "", "true", "False", "KR", "KOR", "EUR", "eur", "inf", "nan",
]  # fmt: skip
HUGE = [2**63 - 1, -(2**63), 2**53 + 1, 0, 1, -1, 7, 2**62]
FLOATS = [0.0, -0.0, 1.0, 1.5, -2.0, 1e300, float("inf"), float("-inf"), 0.5, 10_000.0]
MIXED: list[Any] = [1, "1", 1.5, None, np.nan, True, "a", 0, "2024-01-05", -3]


def _frame(seed: int, rows: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)

    def pick(values: list[Any], null: Any = None, share: float = 0.15) -> list[Any]:
        out = [values[j] for j in rng.integers(0, len(values), rows)]
        return [null if rng.random() < share else v for v in out]

    frame = pd.DataFrame(
        {
            "i": np.array(pick(HUGE, share=0), dtype="int64"),
            "u": rng.choice(np.array([0, 1, 2**64 - 1, 2**63], dtype="uint64"), rows),
            "f": np.array(pick(FLOATS, null=np.nan), dtype="float64"),
            "s": pd.Series(pick(TEXT), dtype="str"),
            "t": pd.Series(pick(TEXT, null=np.nan), dtype="str"),
            "o": pd.Series(pick(MIXED), dtype=object),
            "b": rng.random(rows) < 0.5,
            "d": pd.to_datetime(pick(["2024-01-01", "1999-12-31", "2100-06-01"], null=None)),
            "k": rng.integers(0, max(rows // 3, 1), rows),
            "k2": pd.Series(pick(["a", "b", "ß", "日本"]), dtype="str"),
        }
    )
    if rows:
        frame.index = pd.Index(rng.permutation(rows) * 10 + 5)  # labels that are not positions
    return frame


RULES: dict[str, Any] = {
    "key_columns": ["k", "k2"],
    "sample_size": 4,
    "dataset": {
        "rules": [
            {"rule": "row_count", "min": 1, "max": 150},
            {"rule": "unique", "columns": ["k", "k2"]},
            {"rule": "unique", "columns": ["f", "s"], "severity": "warning"},
            {"rule": "compare", "left": "s", "op": ">=", "right": "t", "as_type": "datetime"},
            {"rule": "compare", "left": "s", "op": "<", "right": "t"},
            {"rule": "compare", "left": "i", "op": "<=", "right": "k"},
            {"rule": "compare", "left": "f", "op": "!=", "right": "i"},
            {"rule": "compare", "left": "i", "op": ">", "value": 3},
            {"rule": "compare", "left": "d", "op": "<", "value": "2050-01-01"},
            {"rule": "compare", "left": "o", "op": "!=", "value": 1},
            {"rule": "compare", "left": "u", "op": ">", "right": "i"},
        ]
    },
    "columns": {
        "i": [
            {"rule": "range", "min": 0, "max": 9.223372036854775e18},
            {"rule": "dtype", "dtype": "str"},
            {"rule": "dtype", "dtype": "bool"},
            {"rule": "allowed_values", "values": [0, 1, 7, 9223372036854775807]},
            {"rule": "unique", "mostly": 0.5},
        ],
        "u": [{"rule": "range", "max": 1e19}, {"rule": "dtype", "dtype": "int"}],
        "f": [
            {"rule": "not_null", "mostly": 0.9},
            {"rule": "dtype", "dtype": "int"},
            {"rule": "dtype", "dtype": "bool", "severity": "warning"},
            {"rule": "range", "min": 0, "max": 10_000, "max_inclusive": False},
            {"rule": "allowed_values", "values": [0.0, 1.5]},
        ],
        "s": [
            {"rule": "not_null"},
            {"rule": "dtype", "dtype": "int"},
            {"rule": "dtype", "dtype": "float"},
            {"rule": "dtype", "dtype": "datetime"},
            {"rule": "dtype", "dtype": "bool"},
            {"rule": "regex", "pattern": r"[^@\s]+@[^@\s]+\.[a-z]{2,}"},
            {"rule": "regex", "pattern": r"\d+"},
            {"rule": "regex", "pattern": r"\w+", "full": False},
            {"rule": "regex", "pattern": r"\bStra"},
            {"rule": "regex", "pattern": r"\S+\s?"},
            {"rule": "regex", "pattern": r"(?i)eur"},
            {"rule": "regex", "pattern": r"(?=a).*"},
            {"rule": "str_length", "min": 2, "max": 3},
            {"rule": "allowed_values", "values": ["KR", "EUR", "ß"]},
            {"rule": "allowed_values", "values": ["1", 1]},
            {"rule": "date_format", "format": "%Y-%m-%d"},
            {"rule": "date_format", "format": "%Y-%m-%d %H:%M:%S"},
            {"rule": "date_format", "format": "ISO8601"},
            {"rule": "date_format", "format": "%d/%m/%Y"},
            {"rule": "range", "min": "2000-01-01", "max": "2024-12-31"},
            {"rule": "range", "min": 0, "max": 5},
        ],
        "t": [{"rule": "not_null", "severity": "warning"}, {"rule": "str_length", "max": 1}],
        "o": [
            {"rule": "not_null"},
            {"rule": "dtype", "dtype": "int"},
            {"rule": "allowed_values", "values": [1, "a", True]},
            {"rule": "regex", "pattern": r"\d"},
            {"rule": "range", "min": 0, "max": 1},
        ],
        "b": [{"rule": "dtype", "dtype": "float"}, {"rule": "range", "min": 0.5}],
        "d": [
            {"rule": "not_null"},
            {"rule": "range", "min": "2000-01-01"},
            {"rule": "date_format"},
            {"rule": "dtype", "dtype": "datetime"},
        ],
    },
}


def _plain(report: dict[str, Any]) -> dict[str, Any]:
    report = json.loads(json.dumps(report))
    report["summary"].pop("duration_s")
    return report


ENGINES = pytest.mark.parametrize("engine", ["polars", "duckdb"])


def _both(
    validator: DataValidator,
    frame: pd.DataFrame | pl.DataFrame,
    reference: pd.DataFrame,
    engine: Backend = "polars",
) -> None:
    want = _plain(validator.validate_dataset(reference))
    got = _plain(validator.validate_dataset(frame, backend=engine))
    for mine, theirs in zip(got["rules"], want["rules"], strict=True):
        assert mine == theirs, f"{theirs['rule']} {theirs['column']} {theirs['params']}"
    assert got == want


@ENGINES
@pytest.mark.parametrize("rows", [0, 1, 2, 9, 60, 400])
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_generated_frames_give_the_same_report(seed: int, rows: int, engine: Backend) -> None:
    frame = _frame(seed, rows)
    _both(DataValidator.from_dict(RULES), frame, frame, engine)


@ENGINES
@pytest.mark.parametrize("seed", [3, 11])
def test_labelled_orders_give_the_same_report(seed: int, engine: Backend) -> None:
    data = make_orders(3000, seed=seed)
    data.rules["sample_size"] = 50
    _both(DataValidator.from_dict(data.rules), data.frame, data.frame, engine)


@ENGINES
def test_a_polars_frame_is_judged_as_its_pandas_conversion(engine: Backend) -> None:
    data = make_orders(2000, seed=5)
    data.rules["sample_size"] = 20
    frame = pl.from_pandas(data.frame.astype({"quantity": "str"}))
    _both(DataValidator.from_dict(data.rules), frame, frame.to_pandas(), engine)


@ENGINES
@pytest.mark.parametrize("seed", [1, 4])
def test_a_polars_frame_with_nulls_and_nan_gives_the_same_report(
    seed: int, engine: Backend
) -> None:
    frame = pl.from_pandas(_frame(seed, 300).drop(columns=["o"]).reset_index(drop=True))
    frame = frame.with_columns(pl.col("f").fill_nan(None).alias("f"))  # nulls, not NaN
    rules = {k: v for k, v in RULES.items() if k != "columns"}
    rules["columns"] = {c: r for c, r in RULES["columns"].items() if c != "o"}
    rules["dataset"] = {"rules": [r for r in RULES["dataset"]["rules"] if "o" not in r.values()]}
    _both(DataValidator.from_dict(rules), frame, frame.to_pandas(), engine)


def test_the_orders_rules_compile_and_leave_only_few_rows_to_pandas() -> None:
    data = make_orders(3000, seed=3)
    frame = data.frame.astype({"quantity": "str"})
    validator = DataValidator.from_dict(data.rules)
    evaluation = evaluate(validator.validation_rules, frame, sample_size=5)
    assert evaluation.in_pandas == []
    assert evaluation.compiled == len(validator.validation_rules)
    # unsure: the duplicate pairs, the "three" quantities, the bad dates (x2 for compare)
    assert evaluation.refined_rows <= 6 * 2 * max(3, 3000 // 2000) * 2


@ENGINES
@pytest.mark.parametrize("seed", [1, 2])
def test_quarantine_splits_are_the_same(seed: int, engine: Backend) -> None:
    frame = _frame(seed, 300)
    rules = DataValidator.from_dict(RULES).validation_rules
    valid_a, rejected_a = split_dataset(rules, frame)
    valid_b, rejected_b = split_dataset(rules, frame, backend=engine)
    pd.testing.assert_frame_equal(valid_a, valid_b)
    pd.testing.assert_frame_equal(rejected_a, rejected_b)
    assert len(rejected_a) > 0


def test_the_orders_rules_compile_for_duckdb_and_leave_only_few_rows_to_pandas() -> None:
    data = make_orders(3000, seed=3)
    frame = data.frame.astype({"quantity": "str"})
    validator = DataValidator.from_dict(data.rules)
    evaluation = duckdb_evaluate(validator.validation_rules, frame, sample_size=5)
    assert evaluation.in_pandas == []
    assert evaluation.compiled == len(validator.validation_rules)
    # unsure: the "three" quantities and the bad dates (x2 for compare); duplicates are exact
    assert evaluation.refined_rows <= 6 * 2 * 3


def test_user_text_enters_the_sql_only_as_a_literal() -> None:
    frame = pd.DataFrame({"it's \\ col": pd.Series(["a'b", "x", "a\\'b", None], dtype="str")})
    rules = {
        "columns": {
            "it's \\ col": [
                {"rule": "allowed_values", "values": ["a'b", "x"]},
                {"rule": "regex", "pattern": "a'b|x"},
                {"rule": "unique"},
            ]
        },
        "dataset": {
            "rules": [{"rule": "compare", "left": "it's \\ col", "op": "!=", "value": "x'"}]
        },
    }
    validator = DataValidator.from_dict(rules)
    _both(validator, frame, frame, "duckdb")
    assert duckdb_compile.text("a'b") == "'a''b'"


def test_a_subclass_that_changes_checking_runs_its_own_code() -> None:
    from stage1_validation.rules import NotNullRule

    class Marked(NotNullRule):
        def check_column(self, values: pd.Series) -> pd.Series:
            return values == "x"

    plain = NotNullRule(column="s")
    assert compile_rule(Marked(column="s"), {"s": "str"}) is None
    assert compile_rule(plain, {"s": "str"}) is not None
    frame = pd.DataFrame({"s": pd.Series(["x", "y", None], dtype="str")})
    outcome = evaluate([Marked(column="s")], frame, sample_size=5).outcomes[0]
    assert outcome.failing == 1 and outcome.first.tolist() == [0]
    columns = duckdb_compile.Columns(names={"s": "c0"}, kinds={"s": "str"})
    assert duckdb_compile.compile_rule(Marked(column="s"), columns) is None
    assert duckdb_compile.compile_rule(plain, columns) is not None
    outcome = duckdb_evaluate([Marked(column="s")], frame, sample_size=5).outcomes[0]
    assert outcome.failing == 1 and outcome.first.tolist() == [0]


def test_rust_patterns_keep_re2_meaning() -> None:
    assert re2_to_rust(r"^\d+$") == r"^[0-9]+$"
    assert re2_to_rust(r"[^@\s]") == "[^@\\t\\n\\f\\r ]"
    assert re2_to_rust(r"(?=a)") is None  # RE2 cannot: pandas runs Python's re
    assert re2_to_rust(r"[\D]") is None


def test_unknown_backend_is_refused_with_the_choices() -> None:
    with pytest.raises(ValueError, match="pandas, polars, duckdb"):
        check_backend("spark")
    with pytest.raises(ValueError, match="unknown backend"):
        DataValidator.from_dict(RULES, backend="spark")  # type: ignore[arg-type]
