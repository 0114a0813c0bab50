"""The report contract other stages rely on, lazy validation, severity, mostly and keys."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from stage1_validation import DataQualityError, DataValidationError, DataValidator
from stage1_validation.synthetic import make_orders, rule_id


def by_rule(report: dict) -> dict[str, dict]:
    return {rule_id(r["rule"], r["column"]): r for r in report["rules"]}


def test_report_has_the_contracted_shape(rules_file: Path, orders: pd.DataFrame) -> None:
    report = DataValidator(rules_file).validate_dataset(orders)
    assert set(report) >= {"passed", "summary", "rules"}
    assert set(report["summary"]) == {
        "rows",
        "columns",
        "rules_run",
        "passed",
        "failed",
        "warnings",
        "duration_s",
    }
    for rule in report["rules"]:
        assert set(rule) >= {
            "rule",
            "column",
            "severity",
            "passed",
            "failing_count",
            "failing_ratio",
            "params",
            "samples",
        }
        for sample in rule["samples"]:
            assert {"index", "value"} <= set(sample)
    json.dumps(report, allow_nan=False)  # JSON-serialisable, no NaN


def test_every_failure_is_collected_not_only_the_first(
    rules_file: Path, orders: pd.DataFrame
) -> None:
    report = DataValidator(rules_file).validate_dataset(orders)
    rules = by_rule(report)
    assert report["passed"] is False
    assert rules["unique:order_id,line_no"]["failing_count"] == 2
    assert rules["compare:ship_date,order_date"]["failing_count"] == 1
    assert rules["not_null:order_id"]["failing_count"] == 1
    assert rules["allowed_values:currency"]["failing_count"] == 1
    assert rules["range:amount"]["failing_count"] == 2
    summary = report["summary"]
    assert (summary["rows"], summary["columns"], summary["rules_run"]) == (6, 6, 7)
    assert (summary["passed"], summary["failed"], summary["warnings"]) == (2, 4, 1)


def test_samples_name_failing_rows_by_key_and_index(rules_file: Path, orders: pd.DataFrame) -> None:
    rules = by_rule(DataValidator(rules_file).validate_dataset(orders))
    (sample,) = rules["allowed_values:currency"]["samples"]
    assert sample == {"index": 1, "value": "GBP", "key": {"order_id": 20.0}}
    assert rules["range:amount"]["failing_ratio"] == pytest.approx(2 / 6)


def test_warnings_alone_do_not_fail_the_report(orders: pd.DataFrame) -> None:
    validator = DataValidator.from_dict(
        {"columns": {"amount": [{"rule": "range", "min": 0, "severity": "warning"}]}}
    )
    report = validator.validate_dataset(orders)
    assert report["passed"] is True
    assert report["summary"]["warnings"] == 1 and report["rules"][0]["passed"] is False


def test_mostly_tolerates_a_share_of_failing_rows(orders: pd.DataFrame) -> None:
    loose = DataValidator.from_dict(
        {"columns": {"currency": [{"rule": "not_null", "mostly": 0.8}]}}
    )
    strict = DataValidator.from_dict(
        {"columns": {"currency": [{"rule": "not_null", "mostly": 0.9}]}}
    )
    assert loose.validate_dataset(orders)["passed"] is True  # 5/6 = 0.83 pass
    assert strict.validate_dataset(orders)["passed"] is False


def test_raise_on_error_carries_the_whole_report(rules_file: Path, orders: pd.DataFrame) -> None:
    with pytest.raises(DataValidationError) as info:
        DataValidator(rules_file).validate_dataset(orders, raise_on_error=True)
    assert isinstance(info.value, DataQualityError)
    assert info.value.report["summary"]["failed"] == 4
    assert "unique(order_id,line_no): 2 row(s)" in str(info.value)


def test_clean_data_passes_and_raise_on_error_returns(
    rules_file: Path, orders: pd.DataFrame
) -> None:
    clean = orders.iloc[[4, 5]].copy()
    report = DataValidator(rules_file).validate_dataset(clean, raise_on_error=True)
    assert report["passed"] is True and report["summary"]["failed"] == 0


def test_sample_size_bounds_the_samples(orders: pd.DataFrame) -> None:
    validator = DataValidator.from_dict(
        {"sample_size": 1, "columns": {"amount": [{"rule": "range", "min": 0, "max": 10}]}}
    )
    (rule,) = validator.validate_dataset(orders)["rules"]
    assert rule["failing_count"] == 2 and len(rule["samples"]) == 1


def test_generated_errors_are_found_exactly() -> None:
    data = make_orders(5_000, seed=3)
    report = DataValidator.from_dict(data.rules).validate_dataset(data.frame)
    for name, rule in by_rule(report).items():
        found = {s["index"] for s in rule["samples"]}
        assert found == data.expected[name], name
        assert rule["failing_count"] == len(data.expected[name])


def test_constructor_needs_exactly_one_source(rules_file: Path) -> None:
    with pytest.raises(TypeError):
        DataValidator()


def test_split_dataset_in_memory(rules_file: Path, orders: pd.DataFrame) -> None:
    from stage1_validation import split_dataset

    valid, rejected = split_dataset(DataValidator(rules_file).validation_rules, orders)
    assert list(valid.index) == [4, 5]
    assert (
        rejected.loc[1, "_rejected_because"]
        == "unique(order_id,line_no); allowed_values(currency) values=['KRW', 'USD', 'EUR']"
    )
    assert rejected.loc[3, "_rejected_because"] == "not_null(order_id)"
