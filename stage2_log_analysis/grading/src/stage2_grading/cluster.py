"""A Dask cluster the grader starts, so it can see whether the graded code really used Dask.

The graded ``analyze(engine="dask", scheduler=ADDRESS)`` gets the address of this cluster. The
grader does not trust what the code says about itself: it reads the scheduler's task stream
(which worker ran what, for how long) before and after the run. The cluster lives in its own
process group (``python -m stage2_grading.cluster INFO.json N``) and is killed as a whole.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path
from types import TracebackType
from typing import Any

from pydantic import BaseModel

from gradekit.isolation import kill_everything

__all__ = ["ClusterInfo", "GraderCluster", "TaskStreamSummary", "summarise_tasks"]


class ClusterInfo(BaseModel):
    """Where the cluster listens and which process holds it (its workers are its children)."""

    address: str
    pid: int
    workers: int


class TaskStreamSummary(BaseModel):
    """What the scheduler saw during one run: tasks, and compute seconds per worker."""

    tasks: int
    compute_s_by_worker: dict[str, float]

    @property
    def compute_s(self) -> float:
        """Compute seconds summed over every worker."""
        return sum(self.compute_s_by_worker.values())

    @property
    def busiest_share(self) -> float:
        """Share of the compute seconds that the busiest worker did (1.0: one worker did all)."""
        total = self.compute_s
        return max(self.compute_s_by_worker.values()) / total if total else 1.0


def summarise_tasks(records: list[dict[str, Any]]) -> TaskStreamSummary:
    """Compute seconds per worker from task-stream records (``startstops`` of action compute)."""
    by_worker: dict[str, float] = defaultdict(float)
    for rec in records:
        for ss in rec.get("startstops", ()):
            if ss.get("action") == "compute":
                by_worker[str(rec.get("worker"))] += float(ss["stop"]) - float(ss["start"])
    return TaskStreamSummary(tasks=len(records), compute_s_by_worker=dict(by_worker))


def _stream_index(dask_scheduler: Any = None) -> int:  # runs on the scheduler
    return int(dask_scheduler.get_task_stream_index())


def _stream_since(index: int, dask_scheduler: Any = None) -> list[dict[str, Any]]:  # scheduler
    return [
        {"worker": r.get("worker"), "startstops": list(r.get("startstops", ()))}
        for r in dask_scheduler.get_task_stream(start_index=index)
    ]


class GraderCluster:
    """A LocalCluster of ``workers`` single-threaded worker processes in a process of its own.

    ``pythonpath`` puts the graded code's folder on the workers' path, as a shared file system
    would on a real cluster, so the functions it sends to them can be unpickled.

    **Usage**::

        with GraderCluster(work_dir, workers=2) as cluster:
            mark = cluster.task_index()
            ...  # the graded code runs with scheduler=cluster.info.address
            seen = cluster.tasks_since(mark)
    """

    def __init__(
        self,
        work_dir: Path,
        workers: int = 2,
        *,
        pythonpath: str = "",
        start_timeout_s: float = 120,
    ) -> None:
        self.work_dir = work_dir
        self.pythonpath = pythonpath
        self.workers = workers
        self.start_timeout_s = start_timeout_s
        self._proc: subprocess.Popen[bytes] | None = None
        self._info: ClusterInfo | None = None

    @property
    def info(self) -> ClusterInfo:
        """Address and process of the running cluster."""
        if self._info is None:
            raise RuntimeError("the grader's Dask cluster is not running")
        return self._info

    def __enter__(self) -> GraderCluster:
        self.work_dir.mkdir(parents=True, exist_ok=True)
        info_path = self.work_dir / "cluster.json"
        info_path.unlink(missing_ok=True)
        env = dict(os.environ)
        env.pop("DASK_SCHEDULER_ADDRESS", None)
        if self.pythonpath:  # the workers import the graded module from the same folder
            env["PYTHONPATH"] = self.pythonpath
        env.pop("_RJEM_MALLOC_CONF", None)  # workers keep jemalloc's defaults, as logan's do
        with (self.work_dir / "cluster.log").open("w") as log:
            self._proc = subprocess.Popen(
                [sys.executable, "-m", "stage2_grading.cluster", str(info_path), str(self.workers)],
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                env=env,
                start_new_session=True,
            )
        deadline = time.monotonic() + self.start_timeout_s
        while time.monotonic() < deadline:
            if info_path.exists():
                self._info = ClusterInfo.model_validate_json(info_path.read_text())
                return self
            if self._proc.poll() is not None:
                break
            time.sleep(0.1)
        self.__exit__(None, None, None)
        raise RuntimeError(f"the grader's Dask cluster did not start (see {self.work_dir})")

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._proc is not None:
            kill_everything(self._proc)
            self._proc = None

    def _on_scheduler(self, func: Any, *args: Any) -> Any:
        from distributed import Client

        with Client(self.info.address, timeout=60) as client:
            return client.run_on_scheduler(func, *args)

    def task_index(self) -> int:
        """How many tasks the scheduler has recorded so far (a cursor for :meth:`tasks_since`)."""
        return int(self._on_scheduler(_stream_index))

    def tasks_since(self, index: int) -> TaskStreamSummary:
        """The tasks that ran on this cluster since ``index``."""
        return summarise_tasks(self._on_scheduler(_stream_since, index))


def main(argv: list[str]) -> int:
    """Start the cluster, write its address to ``argv[0]`` and serve until killed."""
    from distributed import LocalCluster

    info_path, workers = Path(argv[0]), int(argv[1])
    cluster = LocalCluster(
        n_workers=workers,
        threads_per_worker=1,
        processes=True,
        host="127.0.0.1",
        scheduler_port=0,
        dashboard_address=None,
        memory_limit=0,
    )
    info = ClusterInfo(address=cluster.scheduler_address, pid=os.getpid(), workers=workers)
    tmp = info_path.with_name(info_path.name + ".tmp")
    tmp.write_text(json.dumps(info.model_dump()))
    os.replace(tmp, info_path)
    while True:
        time.sleep(3600)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
