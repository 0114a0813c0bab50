"""process_large_dataset: chunked == whole-frame (duplicates across chunks included), bounded reads."""

from __future__ import annotations

import gc
from pathlib import Path

import pandas as pd
import psutil
import pytest

from stage1_validation import (
    DataFileError,
    DataValidator,
    MissingColumnError,
    process_large_dataset,
)
from stage1_validation.chunks import iter_chunks, read_data
from stage1_validation.synthetic import make_orders, rule_id


def without_timing(report: dict) -> dict:
    report = {**report, "summary": dict(report["summary"])}
    report["summary"].pop("duration_s")
    report.pop("quarantine", None)
    return report


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path, dict]:
    data = make_orders(3_000, seed=11)
    folder = tmp_path_factory.mktemp("large")
    csv, parquet = folder / "orders.csv", folder / "orders.parquet"
    data.frame.to_csv(csv, index=False)
    data.frame.astype({"quantity": "str"}).to_parquet(parquet, index=False)
    rules = DataValidator.from_dict(data.rules).save_rules(folder / "rules.yaml")
    return csv, parquet, rules, data.expected


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
@pytest.mark.parametrize("chunk_size", [293, 10_000])
def test_chunked_report_equals_whole_frame_report(generated, fmt: str, chunk_size: int) -> None:
    csv, parquet, rules, _ = generated
    path = csv if fmt == "csv" else parquet
    whole = DataValidator(rules).validate_dataset(read_data(path), source=str(path))
    chunked = process_large_dataset(path, rules, chunk_size=chunk_size, progress=False)
    assert without_timing(chunked) == without_timing(whole)


def test_chunked_finds_every_injected_error_including_split_duplicates(generated) -> None:
    csv, _, rules, expected = generated
    report = process_large_dataset(csv, rules, chunk_size=1_000, progress=False)
    found = {
        rule_id(r["rule"], r["column"]): {s["index"] for s in r["samples"]} for r in report["rules"]
    }
    assert found == expected
    pairs = sorted(expected["unique:order_id,line_no"])
    assert pairs[0] < 1_500 <= pairs[-1]  # the duplicates do straddle chunks


def test_quarantine_splits_rows_with_reasons(generated, tmp_path: Path) -> None:
    csv, _, rules, expected = generated
    report = process_large_dataset(
        csv, rules, chunk_size=1_000, quarantine_dir=tmp_path / "q", progress=False
    )
    valid = pd.read_csv(tmp_path / "q" / "valid.csv")
    rejected = pd.read_csv(tmp_path / "q" / "rejected.csv")
    error_rules = {
        r["rule"] + ":" + str(r["column"]) for r in report["rules"] if r["severity"] == "error"
    }
    assert error_rules  # sanity: the generated rules have error rules
    bad_rows = set().union(
        *(
            rows
            for name, rows in expected.items()
            if not name.startswith(("range:discount", "not_null:ship_date"))
        )
    )
    assert len(rejected) == len(bad_rows) and len(valid) + len(rejected) == 3_000
    reasons = rejected.set_index("order_id")["_rejected_because"]
    assert reasons.str.len().min() > 0
    assert reasons.str.contains("unique(order_id,line_no)", regex=False).sum() == len(
        expected["unique:order_id,line_no"]
    )
    assert report["quarantine"]["rejected_rows"] == len(rejected)


def test_quarantine_of_parquet_writes_parquet(generated, tmp_path: Path) -> None:
    _, parquet, rules, _ = generated
    process_large_dataset(
        parquet, rules, chunk_size=700, quarantine_dir=tmp_path / "q", progress=False
    )
    assert (
        len(pd.read_parquet(tmp_path / "q" / "valid.parquet"))
        + len(pd.read_parquet(tmp_path / "q" / "rejected.parquet"))
        == 3_000
    )


def test_default_rules_when_none_given(generated) -> None:
    csv, _, _, _ = generated
    report = process_large_dataset(csv, progress=False)
    assert report["rules"][0]["rule"] == "row_count"
    assert {r["column"] for r in report["rules"][1:]} == set(pd.read_csv(csv, nrows=1).columns)


def _open_paths() -> set[str]:
    return {f.path for f in psutil.Process().open_files()}


def test_files_are_closed_when_a_read_fails_midway(tmp_path: Path) -> None:
    path = tmp_path / "broken.csv"
    good = "a,b\n" + "1,2\n" * 5_000
    path.write_bytes(good.encode() + b"3,\xff\xfe\n" + b"4,5\n" * 100)
    before = _open_paths()
    with pytest.raises(DataFileError, match=r"broken\.csv: not UTF-8"):
        process_large_dataset(path, chunk_size=1_000, progress=False)
    assert str(path) not in _open_paths() and _open_paths() <= before


def test_the_file_is_closed_while_a_validation_error_is_still_alive(tmp_path: Path) -> None:
    """A rules error between chunks must not leave the suspended reader holding the file."""
    path = tmp_path / "ok.csv"
    path.write_text("a\n" + "1\n" * 100, encoding="utf-8")
    rules = tmp_path / "rules.yaml"
    rules.write_text("columns:\n  missing: [{rule: not_null}]\n", encoding="utf-8")
    gc.disable()  # only the explicit close may close it, not a collection
    try:
        with pytest.raises(MissingColumnError) as caught:
            process_large_dataset(path, rules, chunk_size=10, progress=False)
        assert caught.value.__traceback__ is not None  # the failing frames are still alive
        assert str(path) not in _open_paths()
    finally:
        gc.enable()


def test_stopping_early_closes_the_file(tmp_path: Path) -> None:
    path = tmp_path / "ok.csv"
    path.write_text("a\n" + "1\n" * 100, encoding="utf-8")
    chunks = iter_chunks(path, chunk_size=10)
    next(chunks)
    assert str(path) in _open_paths()
    chunks.close()
    assert str(path) not in _open_paths()


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("empty.csv", b"", "empty"),
        ("header.csv", b"a,b\n", "no rows"),
        ("ragged.csv", b"a,b\n1,2\n1,2,3,4\n", "malformed CSV"),
        ("data.xlsx", b"x", "unsupported suffix"),
    ],
)
def test_bad_data_files_raise_data_file_error(
    tmp_path: Path, name: str, content: bytes, message: str
) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(DataFileError, match=message) as info:
        process_large_dataset(path, progress=False)
    assert name in str(info.value)


def test_missing_data_file(tmp_path: Path) -> None:
    with pytest.raises(DataFileError, match="file not found"):
        process_large_dataset(tmp_path / "nope.csv", progress=False)


def test_process_large_dataset_writes_report(generated, tmp_path: Path) -> None:
    csv, _, rules, _ = generated
    process_large_dataset(csv, rules, report_path=tmp_path / "r.html", progress=False)
    assert "FAIL" in (tmp_path / "r.html").read_text(encoding="utf-8")
