"""Scorecards land as JUnit XML and history; progress judges the five checkpoints from them."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

from rich.console import Console

from gradekit import Check, Comparison, Criterion, Measurement, run_checks
from gradekit.checkpoints import CHECKPOINTS, judge_checkpoint
from gradekit.progress import load_history, render_progress


def _criterion(cid: str, threshold: float = 10) -> Criterion:
    return Criterion(
        id=cid,
        title=cid,
        title_ko=cid,
        method="m",
        threshold=threshold,
        unit="runs",
        comparison=Comparison.AT_LEAST,
    )


def test_junit_and_history_are_written(tmp_path: Path) -> None:
    card = run_checks(
        "stage3",
        "Stage 3",
        "workspace/stage3",
        [
            Check(_criterion("mlflow_ui"), lambda: Measurement(value=12, evidence="12 runs")),
            Check(_criterion("drift"), lambda: Measurement(value=1, evidence="one")),
            Check(
                _criterion("docker"),
                lambda: Measurement(value=None, evidence="", inconclusive="no engine"),
            ),
        ],
    )
    card.write(tmp_path)
    suite = ET.parse(tmp_path / "stage3.junit.xml").getroot()[0]
    assert suite.get("failures") == "1" and suite.get("skipped") == "1"
    runs = load_history(tmp_path, "stage3", "workspace")
    assert runs[-1]["criteria"]["mlflow_ui"]["status"] == "pass"
    assert card.exit_code == 1
    week8 = next(p for p in CHECKPOINTS if p.week == 8)
    assert judge_checkpoint(week8, runs[-1])[0] is True
    assert load_history(tmp_path, "stage3", "elsewhere") == []


def test_inconclusive_only_exits_3() -> None:
    card = run_checks(
        "stage2",
        "S",
        "i",
        [
            Check(
                _criterion("memory"),
                lambda: Measurement(value=None, evidence="", inconclusive="size"),
            )
        ],
    )
    assert card.verdict == "inconclusive" and card.exit_code == 3


def test_week5_needs_the_full_10gb(tmp_path: Path) -> None:
    week5 = next(p for p in CHECKPOINTS if p.week == 5)
    entry = {
        "score": 1.0,
        "options": {"size": "1GB"},
        "criteria": {"memory": {"status": "pass", "measured": 300}},
    }
    assert judge_checkpoint(week5, entry)[0] is False
    entry["options"] = {}
    assert judge_checkpoint(week5, entry)[0] is True


def test_progress_page(tmp_path: Path) -> None:
    page = render_progress(tmp_path, "workspace", Console(quiet=True), tmp_path / "p.html")
    assert "Checkpoints" in page.read_text()
