"""The grader: ours passes every criterion; the unfinished exercise gets a clean failing scorecard."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from gradekit.runner import run_checks
from gradekit.stages import STAGES, GradeContext
from stage1_validation import grading

EXERCISE = Path(__file__).resolve().parents[1] / "exercise"


@pytest.mark.slow
def test_our_implementation_passes_every_criterion(tmp_path: Path) -> None:
    ctx = GradeContext(
        stage=STAGES["stage1"],
        impl_spec="",
        default_impl=grading.DEFAULT_IMPL,
        module_hint=grading.MODULE_HINT,
        work_dir=tmp_path,
        options={"rows": "3000"},
    )
    card = run_checks("stage1", grading.TITLE, ctx.implementation_name, grading.build_checks(ctx))
    failures = {c.id: (c.evidence, c.error) for c in card.criteria if not c.passed}
    assert failures == {}
    assert len(card.criteria) == 6


@pytest.mark.slow
def test_unfinished_skeleton_fails_cleanly(tmp_path: Path) -> None:
    workspace = tmp_path / "stage1"
    shutil.copytree(EXERCISE, workspace)
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "gradekit",
            "check",
            "stage1",
            "--impl",
            str(workspace),
            "--out",
            str(tmp_path / "reports"),
            "--opt",
            "rows=1000",
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 1, done.stdout + done.stderr
    card = json.loads((tmp_path / "reports" / "stage1.json").read_text(encoding="utf-8"))
    assert card["implemented"] is True and card["passed"] is False
    assert len(card["criteria"]) == 6
    assert not any(c["passed"] for c in card["criteria"])
    assert "Traceback" not in done.stdout + done.stderr
