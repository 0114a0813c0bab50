"""CLI commands that need no server, and the exercise skeleton's shape."""

from __future__ import annotations

import importlib.util
from pathlib import Path

from typer.testing import CliRunner

from stage3_mlops.cli import app

EXERCISE = Path(__file__).resolve().parents[1] / "exercise" / "mlops.py"


def test_ab_simulate_reports_fpr_power_and_peeking() -> None:
    result = CliRunner().invoke(app, ["ab-simulate", "--sims", "300", "--seed", "1"])
    assert result.exit_code == 0, result.output
    assert "A/A false-positive rate" in result.output
    assert "mSPRT FPR" in result.output


def test_exercise_skeleton_keeps_the_roadmap_interface() -> None:
    spec = importlib.util.spec_from_file_location("exercise_mlops", EXERCISE)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    cls = module.RecommendationMLOps
    for method in ("train_model", "deploy_best_model", "monitor_model_performance", "rollback"):
        assert callable(getattr(cls, method))
    assert "TODO" in EXERCISE.read_text()
