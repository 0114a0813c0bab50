"""Report writers: three formats, atomic writes, nothing left behind on failure."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from stage1_validation import DataValidator, ReportFormatError, atomic_writer, write_report


@pytest.fixture
def report(rules_file: Path, orders: pd.DataFrame) -> dict:
    return DataValidator(rules_file).validate_dataset(orders)


def test_json_markdown_and_html_reports(report: dict, tmp_path: Path) -> None:
    as_json = write_report(report, tmp_path / "r.json")
    assert json.loads(as_json.read_text(encoding="utf-8")) == report
    markdown = write_report(report, tmp_path / "r.md").read_text(encoding="utf-8")
    assert "FAILED" in markdown and "| **FAIL** | error | allowed_values | currency |" in markdown
    page = write_report(report, tmp_path / "r.html").read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and "GBP" in page
    assert "http" not in page and "<script" not in page  # self-contained


def test_unknown_suffix_is_refused(report: dict, tmp_path: Path) -> None:
    with pytest.raises(ReportFormatError, match=r"\.pdf"):
        write_report(report, tmp_path / "r.pdf")


def test_failure_midway_leaves_no_file_and_keeps_the_old_one(report: dict, tmp_path: Path) -> None:
    target = tmp_path / "out" / "r.json"
    target.parent.mkdir()
    target.write_text("old", encoding="utf-8")
    broken = {**report, "zzz": object()}  # json.dump fails after writing part of the file
    with pytest.raises(TypeError):
        write_report(broken, target)
    assert target.read_text(encoding="utf-8") == "old"
    assert sorted(p.name for p in target.parent.iterdir()) == ["r.json"]


def test_atomic_writer_removes_temp_file_on_error(tmp_path: Path) -> None:
    with pytest.raises(RuntimeError), atomic_writer(tmp_path / "x.txt") as handle:
        handle.write("partial")
        raise RuntimeError("stop")
    assert list(tmp_path.iterdir()) == []


def test_written_files_get_ordinary_permissions(report: dict, tmp_path: Path) -> None:
    import os
    import stat

    mask = os.umask(0)
    os.umask(mask)
    mode = stat.S_IMODE(write_report(report, tmp_path / "r.md").stat().st_mode)
    assert mode == 0o666 & ~mask
