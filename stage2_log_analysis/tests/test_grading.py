"""The grader: our implementation's probes agree with the truth; the skeleton fails cleanly."""

from __future__ import annotations

from pathlib import Path

import pytest

from gradekit.runner import run_checks
from gradekit.stages import STAGES, GradeContext
from stage2_log_analysis import grading
from stage2_log_analysis.grading import run_probe

EXERCISE = Path(__file__).resolve().parents[1] / "exercise"


def _ctx(tmp_path: Path, impl: str) -> GradeContext:
    return GradeContext(
        stage=STAGES["stage2"],
        impl_spec=impl,
        default_impl=grading.DEFAULT_IMPL,
        module_hint=grading.MODULE_HINT,
        work_dir=tmp_path,
        options={"size": "2MB", "accuracy_size": "6MB", "follow_timeout": "20"},
    )


@pytest.mark.slow
def test_stream_probe_counts_equal_the_truth(tiny_log, tmp_path: Path):
    path, truth = tiny_log
    run = run_probe(["stream", str(path), "500"], "", tmp_path, timeout=300)
    assert run.error is None, run.result
    assert run.result["rows"] == sum(truth.minutes["requests"])
    assert run.result["max_chunk"] <= 500
    assert run.peak_mb > 0


@pytest.mark.slow
def test_the_unfinished_skeleton_gets_a_clean_failing_scorecard(tmp_path: Path):
    ctx = _ctx(tmp_path, str(EXERCISE))
    card = run_checks("stage2", grading.TITLE, "skeleton", grading.build_checks(ctx))
    assert [c.id for c in card.criteria] == ["memory", "dask_speedup", "streaming", "accuracy"]
    assert not any(c.passed for c in card.criteria)
    for c in card.criteria:
        assert c.error is None, c.error  # a measured failure, not a grader crash
        assert c.evidence
    assert "NotImplementedError" in card.criteria[2].evidence
