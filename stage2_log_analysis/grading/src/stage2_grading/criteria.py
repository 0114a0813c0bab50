"""The roadmap's four stage-2 criteria (평가 기준), as the scorecard shows them."""

from __future__ import annotations

from gradekit.criterion import Comparison, Criterion

__all__ = ["CRITERIA", "MEMORY_LIMIT_MB", "TARGET_SIZE"]

#: The roadmap's file size, and the memory budget it allows.
TARGET_SIZE = "10GB"
MEMORY_LIMIT_MB = 1024


def _criteria(size: str) -> dict[str, Criterion]:
    return {
        "memory": Criterion(
            id="memory",
            title=f"Process a {size} file with memory use of 1GB or less",
            title_ko=f"{size} 파일을 1GB 이하 메모리로 처리",
            method="peak RSS (psutil, 50 ms) of the graded process tree plus what the graded "
            "work adds to the grader's Dask cluster (over its idle RSS), while process_logs_stream streams the file, while analyze runs locally "
            "and on Dask, and while analyze runs on a 12-month log; below 10GB also at a "
            "quarter of the size, and growth projected to 10GB",
            threshold=MEMORY_LIMIT_MB,
            unit="MB",
            comparison=Comparison.AT_MOST,
        ),
        "dask_speedup": Criterion(
            id="dask_speedup",
            title="Cut processing time by 50% with a Dask cluster",
            title_ko="Dask 클러스터로 처리 시간 50% 단축",
            method="analyze(engine='dask', scheduler=<the grader's 2-worker cluster>) time as % "
            "of the naive pandas baseline on the same file; its per-minute counts checked; "
            "the scheduler's task stream must show the work split over the workers",
            threshold=50,
            unit="%",
            comparison=Comparison.AT_MOST,
        ),
        "streaming": Criterion(
            id="streaming",
            title="Implement real-time streaming processing",
            title_ko="실시간 스트리밍 처리 구현",
            method="lines appended live to a file that follow(path) tails, rotated once; "
            "seconds from each minute's end to its row, each minute once and its count exact",
            threshold=2.0,
            unit="s",
            comparison=Comparison.AT_MOST,
        ),
        "accuracy": Criterion(
            id="accuracy",
            title="Result accuracy of 95% or more",
            title_ko="결과 정확도 95% 이상",
            method="min(share of exact minutes in the records and in analyze's per-minute "
            "table, share of incidents found); counts must be exact, ≥ 95% of incidents "
            "found, ≤ 3 false flags per 10,000 minutes, flags that do not use later minutes",
            threshold=95,
            unit="%",
            comparison=Comparison.AT_LEAST,
        ),
    }


#: The criteria at the roadmap's size (``build_checks`` titles them with the graded size).
CRITERIA = _criteria(TARGET_SIZE)


def criteria_for(size: str) -> dict[str, Criterion]:
    """The criteria titled with the size actually graded (``--opt size=...``)."""
    return _criteria(size)


__all__ += ["criteria_for"]
