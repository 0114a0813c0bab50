"""The roadmap's five learning checkpoints (학습 체크포인트), judged from scorecards.

Each checkpoint reads the latest scorecard of one stage: week 2 wants 80% of stage 1, week 5 a
10GB log processed within the memory criterion, week 8 ten or more MLflow runs, week 12 the
pipelines graded green, week 15 the API graded green.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["CHECKPOINTS", "Checkpoint", "judge_checkpoint"]


@dataclass(frozen=True)
class Checkpoint:
    """One weekly check: which stage's scorecard decides it, and how."""

    week: int
    stage: str
    title: str
    title_ko: str
    min_score: float = 1.0
    criterion: str | None = None
    min_measured: float | None = None
    min_size_gb: float | None = None


CHECKPOINTS = (
    Checkpoint(2, "stage1", "Stage-1 project 80% complete", "Python 기초 프로젝트 완성도 80%", 0.8),
    Checkpoint(
        5,
        "stage2",
        "10GB data processed successfully",
        "10GB 데이터 처리 성공",
        0.0,
        criterion="memory",
        min_size_gb=10,
    ),
    Checkpoint(
        8,
        "stage3",
        "10 or more MLflow experiments completed",
        "MLflow 실험 10개 이상 완료",
        0.0,
        criterion="mlflow_ui",
        min_measured=10,
    ),
    Checkpoint(12, "stage4", "Airflow DAG running normally", "Airflow DAG 정상 운영"),
    Checkpoint(15, "stage5", "API service deployed to production", "API 서비스 프로덕션 배포"),
)

_UNITS = {"KB": 1e-6, "MB": 1e-3, "GB": 1.0, "TB": 1e3}


def judge_checkpoint(point: Checkpoint, entry: dict[str, Any] | None) -> tuple[bool, str]:
    """Whether ``entry`` (a history line of the stage) meets the checkpoint, and why."""
    if entry is None:
        return False, f"no scorecard yet: run make check-{point.stage}"
    score = float(entry.get("score", 0.0))
    if score < point.min_score:
        return False, f"{score:.0%} of criteria passed ({point.min_score:.0%} wanted)"
    if point.criterion is None:
        return True, f"{score:.0%} of criteria passed"
    result = (entry.get("criteria") or {}).get(point.criterion)
    if not result:
        return False, f"criterion {point.criterion!r} was not measured"
    if result.get("status") != "pass":
        return False, f"{point.criterion}: {result.get('status')} ({result.get('measured')})"
    measured = result.get("measured")
    if point.min_measured is not None and (
        not isinstance(measured, int | float) or measured < point.min_measured
    ):
        return False, f"{point.criterion} measured {measured} ({point.min_measured:g} wanted)"
    if point.min_size_gb is not None:
        size = _size_gb((entry.get("options") or {}).get("size", "10GB"))
        if size is None or size < point.min_size_gb:
            return False, f"graded at size {entry.get('options', {}).get('size')} (10GB wanted)"
    return True, f"{point.criterion} passed ({measured} {result.get('unit', '')})".strip()


def _size_gb(text: str) -> float | None:
    text = text.strip().upper()
    for unit, factor in _UNITS.items():
        if text.endswith(unit):
            try:
                return float(text[: -len(unit)]) * factor
            except ValueError:
                return None
    return None
