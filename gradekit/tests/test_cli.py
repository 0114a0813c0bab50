"""The command line: clear failures for a missing IMPL and for stages without a grader."""

from __future__ import annotations

import json
import subprocess
import sys


def _gradekit(*args: str, cwd) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "gradekit", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_unknown_impl_fails_with_its_name(tmp_path) -> None:
    proc = _gradekit(
        "check", "diagnostics", "--impl", "nonexistent.module", "--out", str(tmp_path), cwd=tmp_path
    )
    # diagnostics may not have a grader yet: then the card says so; otherwise the IMPL error.
    assert proc.returncode != 0
    if (tmp_path / "diagnostics.json").exists():
        assert json.loads((tmp_path / "diagnostics.json").read_text())["passed"] is False
    else:
        assert "nonexistent.module" in proc.stdout


def test_summary_reports_missing_scorecards(tmp_path) -> None:
    proc = _gradekit("summary", "--out", str(tmp_path), cwd=tmp_path)
    assert proc.returncode == 1
    assert "no scorecard" in proc.stdout


def test_unknown_stage(tmp_path) -> None:
    proc = _gradekit("check", "stage42", cwd=tmp_path)
    assert proc.returncode == 2
    assert "unknown stage" in proc.stdout
