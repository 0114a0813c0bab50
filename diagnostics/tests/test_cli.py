"""The interviewer's command line, and gradekit's path into the same grader."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from diagnostics.cli import app
from diagnostics.grading import reference_dir

runner = CliRunner()


def test_rubric_prints_markdown() -> None:
    result = runner.invoke(app, ["rubric"])
    assert result.exit_code == 0
    assert "Problem 2: Large data processing" in result.output


def test_grade_names_a_missing_folder_and_the_fix(tmp_path: Path) -> None:
    result = runner.invoke(app, ["grade", str(tmp_path / "nobody")])
    assert result.exit_code == 2
    assert "cannot grade candidate folder" in " ".join(result.output.split())


def test_grade_rejects_an_unknown_option(tmp_path: Path) -> None:
    result = runner.invoke(app, ["grade", str(tmp_path), "--opt", "colour=blue"])
    assert result.exit_code == 2
    assert "Known options" in " ".join(result.output.split())


def test_template_copies_the_blank_files_and_keeps_existing(candidate_dir: Path) -> None:
    (candidate_dir / "problem2.py").write_text("# mine\n", encoding="utf-8")
    result = runner.invoke(app, ["template", str(candidate_dir)])
    assert result.exit_code == 0
    assert sorted(p.name for p in candidate_dir.glob("*.py")) == [
        "problem1.py",
        "problem2.py",
        "problem3.py",
    ]
    assert (candidate_dir / "problem2.py").read_text(encoding="utf-8") == "# mine\n"


@pytest.mark.slow
def test_grade_writes_scorecard_and_interview_notes(candidate_dir: Path, tmp_path: Path) -> None:
    shutil.copy2(reference_dir() / "problem3.py", candidate_dir / "problem3.py")
    out = tmp_path / "reports"
    result = runner.invoke(app, ["grade", str(candidate_dir), "--out", str(out)])
    assert result.exit_code == 0, result.output
    card = json.loads((out / "candidate" / "diagnostics.json").read_text(encoding="utf-8"))
    points = {c["id"]: c["details"]["points"] for c in card["criteria"]}
    assert sum(points.values()) == 30  # problem 3 in full; problems 1 and 2 are missing
    assert points["p3.live_uvicorn"] == 2
    notes = (out / "candidate" / "interview-notes.md").read_text(encoding="utf-8")
    assert "problem1.py not found" in notes
    assert "Score: **30/100**" in notes


@pytest.mark.slow
def test_gradekit_check_grades_the_reference_through_the_same_checks(tmp_path: Path) -> None:
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "gradekit",
            "check",
            "diagnostics",
            "--out",
            str(tmp_path),
            "--opt",
            "problems=1",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    card = json.loads((tmp_path / "diagnostics.json").read_text(encoding="utf-8"))
    assert card["passed"] and len(card["criteria"]) == 10
