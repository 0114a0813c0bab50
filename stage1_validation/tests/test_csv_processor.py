"""Diagnostic problem 1's names: CSVProcessor(file_path).validate_data() and DataValidationError."""

from __future__ import annotations

from pathlib import Path

import pytest

from stage1_validation import CSVProcessor, DataFileError, DataValidationError, last_record


def test_clean_csv_passes_and_is_timed(tmp_path: Path) -> None:
    path = tmp_path / "ok.csv"
    path.write_text("id,price\n1,2.5\n2,3.0\n", encoding="utf-8")
    report = CSVProcessor(path).validate_data()
    assert report["passed"] is True
    record = last_record()
    assert record is not None and record.function.endswith("validate_data")


def test_empty_values_and_type_errors_raise_with_the_report(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text("id,price\n1,2.5\n2,\n3,abc\n4,1.0\n", encoding="utf-8")
    with pytest.raises(DataValidationError) as info:
        CSVProcessor(path).validate_data()
    failed = {
        (r["rule"], r["column"]): r["failing_count"]
        for r in info.value.report["rules"]
        if not r["passed"]
    }
    assert failed == {("not_null", "price"): 1, ("dtype", "price"): 1}
    assert "bad.csv" in str(info.value)


def test_explicit_rules_file_and_no_raise(tmp_path: Path, rules_file: Path) -> None:
    path = tmp_path / "orders.csv"
    path.write_text(
        "order_id,line_no,amount,currency,order_date,ship_date\n1,1,5,KRW,2024-01-01,2024-01-02\n",
        encoding="utf-8",
    )
    assert (
        CSVProcessor(path, rules=rules_file).validate_data(raise_on_error=False)["passed"] is True
    )


def test_unreadable_file_is_a_data_file_error(tmp_path: Path) -> None:
    with pytest.raises(DataFileError, match=r"missing\.csv"):
        CSVProcessor(tmp_path / "missing.csv").validate_data()
