"""The ``validate`` command: exit codes, report files, quarantine, clear errors."""

from __future__ import annotations

import runpy
import sys
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from stage1_validation.cli import app

runner = CliRunner(env={"COLUMNS": "200"})  # wide enough that rich does not truncate cells


def test_failing_data_exits_1_and_writes_the_report(
    rules_file: Path, orders: pd.DataFrame, tmp_path: Path
) -> None:
    data = tmp_path / "orders.csv"
    orders.to_csv(data, index=False)
    result = runner.invoke(
        app,
        [
            "validate",
            str(data),
            "--rules",
            str(rules_file),
            "--report",
            str(tmp_path / "r.json"),
            "--no-progress",
        ],
    )
    assert result.exit_code == 1, result.output
    assert "FAILED" in result.output and "allowed_values" in result.output
    assert (tmp_path / "r.json").exists()


def test_clean_data_exits_0(rules_file: Path, orders: pd.DataFrame, tmp_path: Path) -> None:
    data = tmp_path / "clean.csv"
    orders.iloc[[4, 5]].to_csv(data, index=False)
    result = runner.invoke(app, ["validate", str(data), "-r", str(rules_file), "--no-progress"])
    assert result.exit_code == 0, result.output


def test_quarantine_option_writes_valid_and_rejected(
    rules_file: Path, orders: pd.DataFrame, tmp_path: Path
) -> None:
    data = tmp_path / "orders.csv"
    orders.to_csv(data, index=False)
    result = runner.invoke(
        app,
        [
            "validate",
            str(data),
            "-r",
            str(rules_file),
            "--quarantine",
            str(tmp_path / "q"),
            "--chunk-size",
            "2",
            "--no-progress",
        ],
    )
    assert result.exit_code == 1
    valid = pd.read_csv(tmp_path / "q" / "valid.csv")
    rejected = pd.read_csv(tmp_path / "q" / "rejected.csv")
    assert list(valid["order_id"]) == [50, 60]
    assert len(rejected) == 4 and rejected["_rejected_because"].str.len().min() > 0


def test_bad_rules_file_exits_2_with_the_reason(tmp_path: Path, orders: pd.DataFrame) -> None:
    data = tmp_path / "orders.csv"
    orders.to_csv(data, index=False)
    rules = tmp_path / "bad.yaml"
    rules.write_text("columns:\n  amount: [{rule: rnage}]\n", encoding="utf-8")
    result = runner.invoke(app, ["validate", str(data), "-r", str(rules), "--no-progress"])
    assert result.exit_code == 2
    assert "rnage" in result.output and "did you mean 'range'" in result.output


def test_rules_command_lists_rule_types() -> None:
    result = runner.invoke(app, ["rules"])
    assert result.exit_code == 0 and "allowed_values" in result.output


def test_python_dash_m_entry_point(
    rules_file: Path, orders: pd.DataFrame, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``python -m stage1_validation`` runs __main__, in-process (a subprocess costs seconds)."""
    data = tmp_path / "orders.csv"
    orders.iloc[[4, 5]].to_csv(data, index=False)
    argv = ["stage1_validation", "validate", str(data), "-r", str(rules_file), "--no-progress"]
    monkeypatch.setattr(sys, "argv", argv)
    with pytest.raises(SystemExit) as exit_info:
        runpy.run_module("stage1_validation", run_name="__main__")
    assert exit_info.value.code == 0
