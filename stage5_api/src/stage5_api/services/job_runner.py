"""Start batch jobs as processes of their own and watch them from the worker's event loop."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import sys
from pathlib import Path

from stage5_api.models import JobStatus
from stage5_api.services.job_process import JobSpec
from stage5_api.services.jobs import JobRecord, JobStore
from stage5_api.services.metrics import ServiceMetrics
from stage5_api.services.registry_spec import RegistrySpec

__all__ = ["JobRunner"]

log = logging.getLogger(__name__)


class JobRunner:
    """Runs each job in ``python -m stage5_api.services.job_process`` and records its end.

    The process writes the job's progress and result itself; the runner only notices a process
    that ended without doing so (crashed, killed) and marks its job failed, and counts outcomes.
    On shutdown the processes still running are stopped and their jobs marked failed.
    """

    def __init__(
        self,
        store: JobStore,
        registry: RegistrySpec,
        metrics: ServiceMetrics,
        *,
        max_rows: int,
        nice: int = 10,
    ) -> None:
        self.store = store
        self.registry = registry
        self.metrics = metrics
        self.max_rows = max_rows
        self.nice = nice
        self._running: dict[str, asyncio.subprocess.Process] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._stopping = False

    async def start(self, job: JobRecord, source: Path) -> None:
        """Start the job's process (returns once it is started, not when it ends)."""
        spec = JobSpec(
            job_id=job.job_id,
            data_dir=str(self.store.data_dir),
            source=str(source),
            registry=self.registry,
            max_rows=self.max_rows,
            parent_pid=os.getpid(),
            nice=self.nice,
        )
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "stage5_api.services.job_process",
            spec.model_dump_json(),
            stdin=asyncio.subprocess.DEVNULL,
        )
        self._running[job.job_id] = proc
        task = asyncio.create_task(self._watch(job.job_id, proc), name=f"job-{job.job_id}")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _watch(self, job_id: str, proc: asyncio.subprocess.Process) -> None:
        try:
            code = await proc.wait()
        finally:
            self._running.pop(job_id, None)
        why = (
            "the server stopped while the job ran"
            if self._stopping
            else f"the job's process ended with code {code} before finishing"
        )
        job = self.store.fail(job_id, f"{why}; submit it again")
        if job is not None:
            self.metrics.jobs.labels(job.status.value).inc()
            if job.status is JobStatus.FAILED and code != 0:
                log.warning("batch job %s: process exited with code %s", job_id, code)

    @property
    def running(self) -> int:
        """Job processes this worker is running now."""
        return len(self._running)

    async def wait_all(self) -> None:
        """Wait until every job this worker started has ended (tests)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def stop(self, grace_s: float = 5.0) -> None:
        """Stop the job processes still running; their jobs end failed (the server stopped)."""
        self._stopping = True
        for proc in list(self._running.values()):
            with contextlib.suppress(ProcessLookupError):
                proc.send_signal(signal.SIGTERM)
        if self._tasks:
            _, pending = await asyncio.wait(list(self._tasks), timeout=grace_s)
            for proc in list(self._running.values()):
                with contextlib.suppress(ProcessLookupError):
                    proc.kill()
            if pending:
                await asyncio.wait(pending, timeout=grace_s)
