"""Batch-job state in files, so any worker can report any job, and a dead worker's jobs end.

A job is one JSON file ``<data_dir>/_jobs/<id>.json`` written atomically (temp + rename); its
output is ``<data_dir>/outputs/<id>.<parquet|csv>``, also written to a temp file then renamed.
Each record names the process that owns it (host, pid, process start time): a reader that
finds a pending or running job whose owner is gone (``kill -9``, the OOM killer, a restart)
marks it failed, so no job stays ``running`` for ever.

Limits (``core/config.py``, documented defaults): ``job_max_concurrent`` jobs pending or
running at once on this data directory (more get 429 + Retry-After), ``job_max_input_bytes``
per input file (413), ``job_max_rows`` per input (the job fails), and retention: finished jobs
older than ``job_retention_s`` or beyond the newest ``job_max_kept`` are deleted with their
outputs, checked at start-up and whenever a job is created. Creating, counting and cleaning
run under one ``flock`` so two workers never overshoot the cap.
"""

from __future__ import annotations

import fcntl
import os
import socket
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pandas as pd

from opskit.files import atomic_path, write_bytes_atomic
from stage5_api.errors import BatchInputError, JobLimitError, Stage5Error
from stage5_api.models import BatchJobPublic, JobStatus, OutputFormat

__all__ = ["JobRecord", "JobStore", "read_features", "scrub_paths", "write_output"]

_ACTIVE = (JobStatus.PENDING, JobStatus.RUNNING)
_HOST = socket.gethostname()


def _process_started(pid: int) -> float | None:
    """When ``pid`` started (clock ticks since boot, from /proc), or None if it does not exist.

    A pid alone is not an identity: after a restart the number can belong to a new process.
    Without /proc (not Linux) only existence is checked (0.0).
    """
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        return float(stat.rsplit(")", 1)[1].split()[19])  # field 22, starttime
    except FileNotFoundError:
        if Path("/proc/self/stat").exists():
            return None
    except (OSError, ValueError, IndexError):
        return None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return None
    except PermissionError:
        pass
    return 0.0


class JobRecord(BatchJobPublic):
    """A job as stored: the public fields plus what the service needs to run and reap it."""

    created_at: float = 0.0
    output_format: OutputFormat = OutputFormat.PARQUET
    owner_host: str = ""
    owner_pid: int = 0
    owner_started: float = 0.0

    def public(self) -> BatchJobPublic:
        """What ``GET /jobs/{id}`` shows (no host or process ids)."""
        return BatchJobPublic.model_validate(
            self.model_dump(include=set(BatchJobPublic.model_fields))
        )

    def owned_by(self, pid: int) -> JobRecord:
        """This record with ``pid`` (a process of this host) as its owner."""
        started = _process_started(pid) or 0.0
        return self.model_copy(
            update={"owner_host": _HOST, "owner_pid": pid, "owner_started": started}
        )

    def owner_gone(self) -> bool:
        """True when the owner ran on this host and is no longer that process.

        An owner on another host (replicas sharing a volume) cannot be checked from here.
        """
        if self.owner_host != _HOST or not self.owner_pid:
            return False
        started = _process_started(self.owner_pid)
        return started is None or started != self.owner_started


def scrub_paths(message: str, data_dir: Path) -> str:
    """``message`` with the data directory's absolute path removed (error bodies are public)."""
    for root in {str(data_dir.resolve()), str(data_dir.absolute()), str(data_dir)}:
        message = message.replace(root + os.sep, "").replace(root, "<data_dir>")
    return message


def read_features(path: Path, n_features: int | None, max_rows: int | None = None) -> pd.DataFrame:
    """The numeric feature columns of a CSV or Parquet file, checked against the model width."""
    if not path.is_file():
        raise BatchInputError(f"input file {path.name!r} does not exist in the data directory")
    suffix = path.suffix.lower()
    too_many = (
        f"input file {path.name!r} has more than {max_rows} rows (STAGE5_JOB_MAX_ROWS): "
        "split it into smaller files"
    )
    try:
        if suffix == ".csv":
            limit = None if max_rows is None else max_rows + 1
            frame = pd.read_csv(path, nrows=limit)
        elif suffix in (".parquet", ".pq"):
            import pyarrow.parquet as pq

            if max_rows is not None and pq.ParquetFile(path).metadata.num_rows > max_rows:
                raise BatchInputError(too_many)
            frame = pd.read_parquet(path)
        else:
            raise BatchInputError(f"input file {path.name!r}: use a .csv or .parquet file")
    except BatchInputError:
        raise
    except Exception as exc:
        raise BatchInputError(f"input file {path.name!r} is unreadable: {exc}") from exc
    if max_rows is not None and len(frame) > max_rows:
        raise BatchInputError(too_many)
    numeric = frame.select_dtypes(include="number")
    if numeric.empty:
        raise BatchInputError(f"input file {path.name!r} has no numeric feature columns")
    if n_features is not None and numeric.shape[1] != n_features:
        raise BatchInputError(
            f"input file {path.name!r} has {numeric.shape[1]} numeric columns; "
            f"the model expects {n_features}"
        )
    return numeric


def write_output(frame: pd.DataFrame, path: Path, fmt: OutputFormat) -> None:
    """Write the predictions atomically as Parquet or CSV (temp file, then rename)."""
    with atomic_path(path, make_parents=True) as tmp:
        if fmt is OutputFormat.CSV:
            frame.to_csv(tmp, index=False)
        else:
            frame.to_parquet(tmp, index=False)


class JobStore:
    """Create, read, reap and clean batch jobs under one data directory."""

    def __init__(
        self,
        data_dir: Path,
        *,
        max_concurrent: int = 2,
        max_input_bytes: int = 100 * 1024 * 1024,
        retention_s: float = 24 * 3600,
        max_kept: int = 1000,
        retry_after_s: int = 5,
    ) -> None:
        self.data_dir = data_dir
        self.jobs_dir = data_dir / "_jobs"
        self.outputs_dir = data_dir / "outputs"
        self.max_concurrent = max_concurrent
        self.max_input_bytes = max_input_bytes
        self.retention_s = retention_s
        self.max_kept = max_kept
        self.retry_after_s = retry_after_s

    def _status_path(self, job_id: str) -> Path:
        return self.jobs_dir / f"{job_id}.json"

    @contextmanager
    def _locked(self) -> Iterator[None]:
        self.jobs_dir.mkdir(parents=True, exist_ok=True)
        with (self.jobs_dir / ".lock").open("a") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)

    def save(self, job: JobRecord) -> None:
        """Persist a job's state (atomic rename: readers never see half a file)."""
        write_bytes_atomic(
            self._status_path(job.job_id), job.model_dump_json().encode(), make_parents=True
        )

    def _load(self, path: Path) -> JobRecord | None:
        try:
            return JobRecord.model_validate_json(path.read_bytes())
        except (OSError, ValueError):
            return None  # deleted meanwhile, or not a job file

    def get(self, job_id: str) -> JobRecord | None:
        """A job by id, or None (ids are uuid4 hex; anything else is not a job).

        A pending or running job whose owner process is gone is marked failed here.
        """
        if len(job_id) != 32 or not all(c in "0123456789abcdef" for c in job_id):
            return None
        job = self._load(self._status_path(job_id))
        if job is not None and job.status in _ACTIVE and job.owner_gone():
            job = self._reap(job)
        return job

    def _reap(self, job: JobRecord) -> JobRecord:
        failed = job.model_copy(
            update={
                "status": JobStatus.FAILED,
                "error": "the process running this job stopped before it finished (killed or "
                "restarted); submit the job again",
            }
        )
        self.save(failed)
        return failed

    def _records(self) -> list[tuple[Path, JobRecord]]:
        if not self.jobs_dir.is_dir():
            return []
        found = ((p, self._load(p)) for p in self.jobs_dir.glob("*.json"))
        return [(p, r) for p, r in found if r is not None]

    def sweep(self) -> list[JobRecord]:
        """Reap jobs whose owner is gone and delete what retention allows; the active jobs."""
        with self._locked():
            return self._sweep_locked()

    def _sweep_locked(self) -> list[JobRecord]:
        now = time.time()
        active: list[JobRecord] = []
        finished: list[tuple[Path, JobRecord]] = []
        for path, job in self._records():
            if job.status in _ACTIVE and job.owner_gone():
                job = self._reap(job)
            if job.status in _ACTIVE:
                active.append(job)
            else:
                finished.append((path, job))
        finished.sort(key=lambda item: item[1].created_at, reverse=True)  # newest first
        for rank, (path, job) in enumerate(finished):
            if rank >= self.max_kept or now - job.created_at > self.retention_s:
                self._delete(path, job)
        self._delete_stale_temporaries(now)
        return active

    def _delete(self, path: Path, job: JobRecord) -> None:
        if job.output_path:
            (self.data_dir / job.output_path).unlink(missing_ok=True)
        path.unlink(missing_ok=True)

    def _delete_stale_temporaries(self, now: float) -> None:
        """Temp files a killed writer left (``.<name>.<pid>.<random>.tmp``), once past retention."""
        for folder in (self.jobs_dir, self.outputs_dir):
            for tmp in folder.glob(".*.tmp") if folder.is_dir() else ():
                try:
                    if now - tmp.stat().st_mtime > min(self.retention_s, 3600):
                        tmp.unlink(missing_ok=True)
                except OSError:
                    continue

    def create(
        self, input_path: str, source: Path, model_version: str, fmt: OutputFormat
    ) -> JobRecord:
        """A new pending job owned by this process; raises JobLimitError past a limit."""
        try:
            size = source.stat().st_size if source.is_file() else None
        except OSError:
            size = None  # the job reports the unreadable file
        if size is not None and size > self.max_input_bytes:
            raise JobLimitError(
                413,
                f"input file {input_path!r} is {size} bytes; the limit is "
                f"{self.max_input_bytes} (STAGE5_JOB_MAX_INPUT_BYTES): split it into smaller files",
            )
        with self._locked():
            active = self._sweep_locked()
            if len(active) >= self.max_concurrent:
                raise JobLimitError(
                    429,
                    f"{len(active)} batch jobs are running, the limit is {self.max_concurrent} "
                    "(STAGE5_JOB_MAX_CONCURRENT): retry when one has finished",
                    retry_after_s=self.retry_after_s,
                )
            job = JobRecord(
                job_id=uuid.uuid4().hex,
                status=JobStatus.PENDING,
                input_path=input_path,
                model_version=model_version,
                output_format=fmt,
                created_at=time.time(),
            ).owned_by(os.getpid())
            self.save(job)
        return job

    def fail(self, job_id: str, message: str) -> JobRecord | None:
        """Mark a job failed unless it already finished (its process may have written it)."""
        job = self._load(self._status_path(job_id))
        if job is None or job.status not in _ACTIVE:
            return job
        failed = job.model_copy(update={"status": JobStatus.FAILED, "error": message})
        self.save(failed)
        return failed


def describe_failure(exc: BaseException, data_dir: Path) -> str:
    """A job's error message: ours as written, others with their type; never a data-dir path."""
    message = str(exc) if isinstance(exc, Stage5Error) else f"{type(exc).__name__}: {exc}"
    return scrub_paths(message, data_dir)
