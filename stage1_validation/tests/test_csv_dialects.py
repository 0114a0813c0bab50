"""CSV files as real tools export them: other separators, other encodings, a tab-separated file.

The same rows written as a European Excel export (``;``), a database dump (tab), a Korean
Excel export (cp949) must give the same report as the plain UTF-8 comma file.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from stage1_validation import CsvDialect, process_large_dataset
from stage1_validation.chunks import detect_separator, read_data
from stage1_validation.cli import app
from stage1_validation.errors import DataFileError

runner = CliRunner(env={"COLUMNS": "200"})

RULES = {
    "columns": {
        "customer": [{"rule": "not_null"}],
        "amount": [{"rule": "range", "min": 0, "max": 100}],
    }
}

FRAME = pd.DataFrame(
    {
        "customer": ["김민수", "Kim; Ltd", None, "이서연"],
        "amount": [10.5, -3.0, 7.0, 250.0],
    }
)


def _failing(report: dict[str, object]) -> list[tuple[str, int]]:
    rules: list[dict[str, object]] = report["rules"]  # type: ignore[assignment]
    return sorted((str(r["rule"]), int(r["failing_count"])) for r in rules)  # type: ignore[call-overload]


@pytest.fixture
def rules_file(tmp_path: Path) -> Path:
    import yaml

    path = tmp_path / "rules.yaml"
    path.write_text(yaml.safe_dump(RULES), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("name", "sep", "encoding"),
    [
        ("plain.csv", ",", "utf-8"),
        ("excel-eu.csv", ";", "utf-8"),
        ("dump.tsv", "\t", "utf-8"),
        ("pipes.txt", "|", "utf-8"),
    ],
)
def test_separator_is_detected_from_the_header(
    tmp_path: Path, rules_file: Path, name: str, sep: str, encoding: str
) -> None:
    path = tmp_path / name
    FRAME.to_csv(path, sep=sep, index=False, encoding=encoding)
    assert detect_separator(path) == sep
    report = process_large_dataset(path, rules_file, progress=False)
    assert _failing(report) == [("not_null", 1), ("range", 2)]
    assert read_data(path)["customer"].tolist()[1] == "Kim; Ltd"


def test_a_korean_excel_export_reads_with_its_encoding(tmp_path: Path, rules_file: Path) -> None:
    path = tmp_path / "orders.csv"
    FRAME.to_csv(path, index=False, encoding="cp949")
    with pytest.raises(DataFileError, match="--encoding cp949"):
        process_large_dataset(path, rules_file, progress=False)
    report = process_large_dataset(
        path, rules_file, progress=False, csv_dialect=CsvDialect(encoding="cp949")
    )
    assert _failing(report) == [("not_null", 1), ("range", 2)]


def test_cli_takes_sep_and_encoding(tmp_path: Path, rules_file: Path) -> None:
    path = tmp_path / "orders.csv"
    FRAME.to_csv(path, sep="\t", index=False, encoding="cp949")
    args = ["validate", str(path), "-r", str(rules_file), "--no-progress"]
    result = runner.invoke(app, [*args, "--sep", "\\t", "--encoding", "cp949"])
    assert result.exit_code == 1, result.output  # the data breaks rules: read, then judged
    assert "range" in result.output


@pytest.mark.parametrize(
    ("dialect", "message"),
    [
        (CsvDialect(encoding="no-such-codec"), "unknown encoding"),
        (CsvDialect(sep=";;"), "not one character"),
    ],
)
def test_bad_dialect_options_are_named(
    tmp_path: Path, rules_file: Path, dialect: CsvDialect, message: str
) -> None:
    path = tmp_path / "orders.csv"
    FRAME.to_csv(path, index=False)
    with pytest.raises(DataFileError, match=message):
        process_large_dataset(path, rules_file, progress=False, csv_dialect=dialect)
    result = runner.invoke(
        app,
        ["validate", str(path), "-r", str(rules_file), "--no-progress"]
        + (["--encoding", dialect.encoding] if dialect.sep is None else ["--sep", dialect.sep]),
    )
    assert result.exit_code == 2 and message in result.output
