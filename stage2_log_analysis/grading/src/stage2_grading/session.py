"""One grading run's shared state: options, generated logs, and the probes' results (run once)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

from gradekit.isolation import run_isolated
from gradekit.result import Measurement
from gradekit.stages import GradeContext
from stage2_grading.cluster import GraderCluster, TaskStreamSummary
from stage2_grading.criteria import TARGET_SIZE
from stage2_grading.logs import GradedLog, prepare_log, prepare_shape_log
from stage2_log_analysis.allocator import ALLOCATOR_ENV, RETURN_MEMORY_AT_ONCE
from stage2_log_analysis.generator import parse_size

__all__ = ["DaskRun", "Session"]

PROBES = "stage2_grading.probes"
#: Issue 13's real-log shapes scored by the accuracy criterion (``--opt shapes=none`` skips).
DEFAULT_SHAPES = "sparse_hourly,low_traffic,long_span,outage_hours,gap_days"


@dataclass
class DaskRun:
    """The graded Dask run on the grader's cluster, and what the scheduler saw."""

    measurement: Measurement
    tasks: TaskStreamSummary | None
    workers: int


@dataclass
class Session:
    """Options (``--opt``), logs and probe results shared by the criteria of one run.

    Options: ``size`` (10GB), ``accuracy_size`` (100MB), ``seed`` (42), ``workers`` (2),
    ``chunk_size`` (10000), ``follow_timeout`` (seconds, 200), ``shapes`` (the real-log
    shapes of the accuracy criterion, comma separated, or ``none``).
    """

    ctx: GradeContext
    cache: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        # The allocator setting logan uses, for every implementation alike (see allocator.py).
        os.environ.setdefault(ALLOCATOR_ENV, RETURN_MEMORY_AT_ONCE)

    @property
    def size_text(self) -> str:
        return self.ctx.option("size", TARGET_SIZE)

    @property
    def size(self) -> int:
        return parse_size(self.size_text)

    @property
    def shortened(self) -> bool:
        """True below the roadmap's 10GB: some criteria then project or say inconclusive."""
        return self.size < parse_size(TARGET_SIZE)

    @property
    def workers(self) -> int:
        return int(self.ctx.option("workers", "2"))

    @property
    def chunk_size(self) -> int:
        return int(self.ctx.option("chunk_size", "10000"))

    @property
    def seed(self) -> int:
        return int(self.ctx.option("seed", "42"))

    def worker_path(self) -> str:
        """PYTHONPATH for the grader's Dask workers: the graded code's folder first."""
        parts = [str(p) for p in (self.ctx.location.search_path,) if p is not None]
        parts += [os.getcwd(), *filter(None, [os.environ.get("PYTHONPATH")])]
        return os.pathsep.join(parts)

    def limit(self, base_s: float, per_gb_s: float, size: int | None = None) -> float:
        """A per-check time limit that grows with the file."""
        return base_s + per_gb_s * (size if size is not None else self.size) / 1e9

    def log(self, kind: str) -> GradedLog:
        """``big`` (size), ``quarter`` (size / 4) or ``accuracy`` (accuracy_size, odd bytes)."""
        if kind not in self.cache:
            folder = self.ctx.work_dir / "logs"
            if kind == "accuracy":
                size = parse_size(self.ctx.option("accuracy_size", "100MB"))
                self.cache[kind] = prepare_log(folder, kind, size, self.seed, 1.5, True)
            else:
                size = self.size if kind == "big" else self.size // 4
                self.cache[kind] = prepare_log(folder, kind, size, self.seed, 1.0, False)
        return self.cache[kind]  # type: ignore[no-any-return]

    @property
    def shapes(self) -> list[str]:
        """The real-log shapes the accuracy criterion scores anomalies on (``--opt shapes=``)."""
        text = self.ctx.option("shapes", DEFAULT_SHAPES)
        return [n.strip() for n in text.split(",") if n.strip() and n.strip() != "none"]

    def shape_log(self, name: str) -> GradedLog:
        key = f"shape-{name}"
        if key not in self.cache:
            self.cache[key] = prepare_shape_log(self.ctx.work_dir / "logs", name, self.seed)
        return self.cache[key]  # type: ignore[no-any-return]

    def shape_flags(self) -> Measurement:
        logs = {name: str(self.shape_log(name).path) for name in self.shapes}
        size = sum(self.shape_log(n).path.stat().st_size for n in self.shapes)
        return self.probe("shapes", "probe_shape_flags", 300 + 600 * size / 1e9, logs=logs)

    def probe(self, key: str, target: str, timeout_s: float, **kwargs: Any) -> Measurement:
        """Run ``probes.<target>`` in a child process once; later calls reuse the result."""
        if key not in self.cache:
            self.cache[key] = run_isolated(
                self.ctx,
                target if ":" in target else f"{PROBES}:{target}",
                timeout_s=timeout_s,
                name=key,
                **kwargs,
            )
        return self.cache[key]  # type: ignore[no-any-return]

    def stream(self, kind: str) -> Measurement:
        log = self.log(kind)
        return self.probe(
            f"stream-{kind}",
            "probe_stream",
            self.limit(180, 150, log.path.stat().st_size),
            path=str(log.path),
            chunk_size=self.chunk_size,
        )

    def analyze_local(self, kind: str) -> Measurement:
        log = self.log(kind)
        return self.probe(
            f"local-{kind}",
            "probe_analyze",
            self.limit(300, 300, log.path.stat().st_size),
            path=str(log.path),
            engine="local",
            out=str(self.ctx.work_dir / "tables" / f"local-{kind}.parquet"),
            chunk_size=self.chunk_size,
        )

    def analyze_long_span(self) -> tuple[GradedLog, Measurement]:
        """``analyze(engine="local")`` on a 12-month log (the ``long_span`` shape, sampled)."""
        log = self.shape_log("long_span")
        run = self.probe(
            "local-long-span",
            "probe_analyze",
            self.limit(300, 120, log.path.stat().st_size),
            path=str(log.path),
            engine="local",
            out=str(self.ctx.work_dir / "tables" / "local-long-span.parquet"),
            chunk_size=self.chunk_size,
        )
        return log, run

    def dask(self, kind: str) -> DaskRun:
        """The graded Dask run on a fresh cluster of the grader's (one per file)."""
        key = f"dask-{kind}"
        if key in self.cache:
            return self.cache[key]  # type: ignore[no-any-return]
        log = self.log(kind)
        folder = self.ctx.work_dir / f"cluster-{kind}"
        with GraderCluster(folder, self.workers, pythonpath=self.worker_path()) as cluster:
            mark = cluster.task_index()
            run = run_isolated(
                self.ctx,
                f"{PROBES}:probe_analyze",
                timeout_s=self.limit(300, 300, log.path.stat().st_size),
                name=key,
                path=str(log.path),
                engine="dask",
                out=str(self.ctx.work_dir / "tables" / f"{key}.parquet"),
                chunk_size=self.chunk_size,
                scheduler=cluster.info.address,
                cluster_pid=cluster.info.pid,
            )
            tasks = cluster.tasks_since(mark)
        self.cache[key] = DaskRun(run, tasks, self.workers)
        return self.cache[key]  # type: ignore[no-any-return]

    def baseline(self) -> Measurement:
        log = self.log("big")
        return self.probe("baseline", "probe_baseline", self.limit(180, 150), path=str(log.path))

    def anomalies(self) -> tuple[Measurement, int]:
        """detect_anomalies on the accuracy log, and the cut minute of its prefix run."""
        log = self.log("accuracy")
        minutes = log.truth.minutes["minute"]
        cut = minutes[int(len(minutes) * 0.6)]
        run = self.probe(
            "anomalies", "probe_anomalies", 300 + 600 * log.gb, path=str(log.path), cut_minute=cut
        )
        return run, cut

    def follow(self) -> Measurement:
        timeout = float(self.ctx.option("follow_timeout", "200"))
        return self.probe(
            "follow",
            "stage2_grading.live:probe_follow",
            timeout + 90,
            folder=str(self.ctx.work_dir / "follow"),
            duration_s=timeout,
        )
