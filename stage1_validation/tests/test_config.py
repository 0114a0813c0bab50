"""Rules files: every format loads, round-trips, and every bad input names file, rule and key."""

from __future__ import annotations

import json
from pathlib import Path
from typing import ClassVar

import pandas as pd
import pytest

from stage1_validation import (
    ColumnRule,
    ConfigError,
    ConfigFileError,
    DataValidator,
    MissingColumnError,
    RuleParameterError,
    UnknownRuleError,
    load_config,
    register_rule,
    save_config,
    unregister_rule,
)


def test_load_yaml_gives_rules_in_file_order(rules_file: Path) -> None:
    rules = DataValidator(rules_file).validation_rules
    assert [r.name for r in rules] == [
        "row_count",
        "unique",
        "compare",
        "not_null",
        "dtype",
        "range",
        "allowed_values",
    ]
    assert rules[5].severity == "warning" and rules[5].mostly == 0.99


def test_json_and_toml_load_the_same_rules(rules_file: Path, tmp_path: Path) -> None:
    config = load_config(rules_file)
    as_json = tmp_path / "rules.json"
    save_config(config, as_json)
    as_toml = tmp_path / "rules.toml"
    as_toml.write_text(
        '[[columns.order_id]]\nrule = "not_null"\n[[dataset.rules]]\nrule = "row_count"\nmin = 1\n',
        encoding="utf-8",
    )
    assert load_config(as_json).rules == config.rules
    assert [r.name for r in load_config(as_toml).rules] == ["row_count", "not_null"]


@pytest.mark.parametrize("suffix", [".yaml", ".json"])
def test_config_round_trips_including_dates_and_custom_rules(tmp_path: Path, suffix: str) -> None:
    @register_rule
    class Even(ColumnRule):
        name: ClassVar[str] = "test_even"
        divisor: int = 2

        def check_column(self, values: pd.Series) -> pd.Series:
            return values % self.divisor != 0

    try:
        original = DataValidator.from_dict(
            {
                "key_columns": ["id"],
                "sample_size": 3,
                "columns": {
                    "id": [{"rule": "test_even", "divisor": 3, "severity": "warning"}],
                    "day": [{"rule": "range", "min": "2024-01-01", "max": "2024-12-31T10:00:00"}],
                },
                "dataset": {"rules": [{"rule": "unique", "columns": ["id", "day"]}]},
            }
        )
        saved = original.save_rules(tmp_path / f"rules{suffix}")
        again = DataValidator(saved)
        assert again.validation_rules == original.validation_rules
        assert again.key_columns == ["id"] and again.config.sample_size == 3
        # a third generation is byte-identical: saving is deterministic
        third = again.save_rules(tmp_path / f"third{suffix}")
        assert third.read_text(encoding="utf-8") == saved.read_text(encoding="utf-8")
    finally:
        unregister_rule("test_even")


def _write(tmp_path: Path, name: str, content: str | bytes) -> Path:
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("name", "content", "error", "must_mention"),
    [
        ("bad.yaml", "columns:\n  a: [ {rule: not_null\n", ConfigFileError, ["bad.yaml", "line"]),
        ("empty.yaml", "", ConfigFileError, ["empty.yaml", "empty"]),
        (
            "latin1.yaml",
            "columns:\n  caf\xe9: []\n".encode("latin-1"),
            ConfigFileError,
            ["latin1.yaml", "UTF-8"],
        ),
        ("bad.json", '{"columns": ', ConfigFileError, ["bad.json", "JSON"]),
        ("list.yaml", "- 1\n- 2\n", ConfigFileError, ["list.yaml", "mapping"]),
        ("rules.ini", "x", ConfigFileError, ["rules.ini", "suffix"]),
        (
            "unknown.yaml",
            "columns:\n  a: [{rule: not_nul}]\n",
            UnknownRuleError,
            ["unknown.yaml", "not_nul", "did you mean 'not_null'", "columns.a[0]"],
        ),
        (
            "type.yaml",
            "columns:\n  a: [{rule: range, min: abc}]\n",
            RuleParameterError,
            ["type.yaml", "'range'", "'min'", "abc"],
        ),
        (
            "extra.yaml",
            "columns:\n  a: [{rule: not_null, colour: red}]\n",
            RuleParameterError,
            ["extra.yaml", "'colour'"],
        ),
        (
            "values.yaml",
            "columns:\n  a: [{rule: allowed_values, values: KRW}]\n",
            RuleParameterError,
            ["values.yaml", "'values'"],
        ),
        (
            "mostly.yaml",
            "columns:\n  a: [{rule: not_null, mostly: 2}]\n",
            RuleParameterError,
            ["mostly.yaml", "'mostly'"],
        ),
        (
            "norule.yaml",
            "columns:\n  a: [{min: 1}]\n",
            RuleParameterError,
            ["norule.yaml", "'rule'"],
        ),
        ("top.yaml", "colums:\n  a: []\n", ConfigError, ["top.yaml", "'colums'"]),
        (
            "notlist.yaml",
            "columns:\n  a: {rule: not_null}\n",
            ConfigError,
            ["notlist.yaml", "columns.a"],
        ),
        (
            "dsrule.yaml",
            "columns:\n  a: [{rule: row_count, min: 1}]\n",
            RuleParameterError,
            ["dsrule.yaml", "row_count"],
        ),
        (
            "regex.yaml",
            "columns:\n  a: [{rule: regex, pattern: '(['}]\n",
            RuleParameterError,
            ["regex.yaml", "'pattern'"],
        ),
    ],
)
def test_bad_config_raises_the_right_error_naming_the_input(
    tmp_path: Path, name: str, content: str | bytes, error: type[Exception], must_mention: list[str]
) -> None:
    path = _write(tmp_path, name, content)
    with pytest.raises(error) as info:
        DataValidator(path)
    message = str(info.value)
    for fragment in must_mention:
        assert fragment in message
    assert isinstance(info.value, ConfigError) and isinstance(info.value, ValueError)


def test_missing_file_is_a_config_file_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigFileError, match=r"nope\.yaml: file not found"):
        DataValidator(tmp_path / "nope.yaml")


def test_missing_column_lists_every_missing_column(rules_file: Path) -> None:
    frame = pd.DataFrame({"order_id": [1], "line_no": [1]})
    with pytest.raises(MissingColumnError) as info:
        DataValidator(rules_file).validate_dataset(frame)
    message = str(info.value)
    for column in ("amount", "currency", "ship_date", "order_date"):
        assert repr(column) in message
    assert "rules.yaml" in message and info.value.key == "column"


def test_saved_json_is_plain_json(rules_file: Path, tmp_path: Path) -> None:
    out = save_config(load_config(rules_file), tmp_path / "r.json")
    data = json.loads(out.read_text(encoding="utf-8"))
    assert data["columns"]["currency"] == [
        {"rule": "allowed_values", "values": ["KRW", "USD", "EUR"]}
    ]


def test_errors_survive_pickling_with_their_context(tmp_path: Path) -> None:
    import pickle

    from stage1_validation import DataFileError, DataValidationError

    path = _write(tmp_path, "unknown.yaml", "columns:\n  a: [{rule: not_nul}]\n")
    with pytest.raises(UnknownRuleError) as info:
        DataValidator(path)
    again = pickle.loads(pickle.dumps(info.value))
    assert type(again) is UnknownRuleError and str(again) == str(info.value)
    assert (again.rule, again.key, again.location) == ("not_nul", "rule", "columns.a[0]")
    report = {"passed": False, "rules": [], "summary": {}}
    error = pickle.loads(pickle.dumps(DataValidationError("failed", report=report)))
    assert error.report == report and str(error) == "failed"
    data_error = pickle.loads(pickle.dumps(DataFileError("x.csv", "file is empty", "add a header")))
    assert str(data_error) == "x.csv: file is empty Fix: add a header"
