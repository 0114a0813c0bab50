"""The tiny demo end to end on the embedded defaults: every artefact exists and says the right thing."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from demo.config import DemoSettings
from demo.results import DemoRun
from demo.runner import STEPS

pytestmark = pytest.mark.slow


def _step(run: DemoRun, name: str):  # type: ignore[no-untyped-def]
    return next(s for s in run.steps if s.step == name)


def test_every_step_ran_in_order(tiny_run: tuple[DemoRun, DemoSettings]) -> None:
    run, _ = tiny_run
    assert [s.step for s in run.steps] == [name for name, _ in STEPS]
    assert [s.stage for s in run.steps] == [1, 2, 3, 4, 5]


def test_every_artifact_on_disk_exists(tiny_run: tuple[DemoRun, DemoSettings]) -> None:
    run, settings = tiny_run
    files = [a for s in run.steps for a in s.artifacts if a.kind != "url"]
    assert len(files) >= 15
    missing = [a.location for a in files if not Path(a.location).exists()]
    assert missing == []
    for item in files:
        assert Path(item.location).is_relative_to(settings.out), item.location


def test_manifest_lists_the_same_run(tiny_run: tuple[DemoRun, DemoSettings]) -> None:
    run, settings = tiny_run
    manifest = json.loads((settings.out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["scale"] == "tiny"
    assert [s["step"] for s in manifest["steps"]] == [s.step for s in run.steps]
    assert manifest["services"]["redis"].startswith("none")


def test_validation_found_exactly_the_injected_errors(
    tiny_run: tuple[DemoRun, DemoSettings],
) -> None:
    run, settings = tiny_run
    summary = _step(run, "validate").summary
    assert summary["failing_counts_match_injected"] is True
    assert summary["rejected_rows"] > 0
    assert summary["valid_rows"] + summary["rejected_rows"] == summary["rows"]
    rejected = pd.read_csv(settings.out / "stage1" / "quarantine" / "rejected.csv")
    assert "_rejected_because" in rejected.columns


def test_log_analysis_matches_the_ground_truth(tiny_run: tuple[DemoRun, DemoSettings]) -> None:
    run, settings = tiny_run
    score = json.loads((settings.out / "stage2" / "score.json").read_text(encoding="utf-8"))
    assert score["counts"]["minutes_exact"] == score["counts"]["minutes_truth"] > 0
    assert score["incidents"]["recall"] == 1.0
    minutes = pd.read_parquet(settings.out / "stage2" / "results" / "minutes")
    assert int(minutes["requests"].sum()) == _step(run, "logs").summary["lines"]


def test_champion_was_promoted_in_the_registry(tiny_run: tuple[DemoRun, DemoSettings]) -> None:
    from mlflow.tracking import MlflowClient

    run, settings = tiny_run
    summary = json.loads((settings.out / "stage3" / "summary.json").read_text(encoding="utf-8"))
    assert len(summary["leaderboard"]) == _step(run, "mlops").summary["mlflow_runs"]
    assert len(summary["leaderboard"]) == len(settings.profile.grid) == 2
    assert summary["deployment"]["promoted"] is True
    client = MlflowClient(tracking_uri=summary["tracking_uri"])
    name = summary["deployment"]["model_name"]
    champion = client.get_model_version_by_alias(name, "champion")
    assert str(champion.version) == summary["deployment"]["champion_version"]
    assert summary["api_model"]["name"] == name  # stage 5 serves stage 3's model itself
    assert summary["api_model"]["version"] == summary["deployment"]["champion_version"]


def test_quality_gate_stopped_the_corrupt_day_then_it_was_reprocessed(
    tiny_run: tuple[DemoRun, DemoSettings],
) -> None:
    _, settings = tiny_run
    runs = json.loads((settings.out / "stage4" / "runs.json").read_text(encoding="utf-8"))
    statuses = [(r["day"], r["status"]) for r in runs["runs"]]
    assert statuses == [
        ("2024-01-01", "loaded"),
        ("2024-01-02", "stopped by quality gate"),
        ("2024-01-03", "loaded"),
        ("2024-01-02", "loaded"),
    ]
    assert all(r["matches"] for r in runs["reconciliation"])
    revenue = pd.read_parquet(settings.out / "stage4" / "marts" / "mart_daily_revenue.parquet")
    assert len(revenue) == 3
    assert (settings.out / "stage4" / "quality_reports" / "quality_2024-01-02.json").exists()


def test_api_served_the_champion_recommendations(tiny_run: tuple[DemoRun, DemoSettings]) -> None:
    run, settings = tiny_run
    summary = _step(run, "api").summary
    assert summary["ok"] == summary["requests"] == 40
    assert summary["dashboard_status"] == 200
    answers = json.loads((settings.out / "stage5" / "requests.json").read_text(encoding="utf-8"))
    assert answers["ready"]["model_loaded"] is True
    items = {r["prediction"] for r in answers["responses"]}
    assert len(items) > 1  # personalised, not one popular item for everyone
    metrics = (settings.out / "stage5" / "metrics.txt").read_text(encoding="utf-8")
    assert "stage5_predictions_total" in metrics


def test_api_answers_equal_the_champion_top_item(tiny_run: tuple[DemoRun, DemoSettings]) -> None:
    """What the API says is the stage 3 champion's own top recommendation, served unchanged."""
    import mlflow

    from stage3_mlops import RecommendationMLOps

    _, settings = tiny_run
    summary = json.loads((settings.out / "stage3" / "summary.json").read_text(encoding="utf-8"))
    mlflow.set_tracking_uri(summary["tracking_uri"])
    champion = RecommendationMLOps(summary["experiment"]).load_champion()
    answers = json.loads((settings.out / "stage5" / "requests.json").read_text(encoding="utf-8"))
    users = [r["user_id"] for r in answers["responses"]]
    expected = champion.recommend(pd.Series(users).to_numpy(), 1)[:, 0]
    assert [r["prediction"] for r in answers["responses"]] == [float(x) for x in expected]
