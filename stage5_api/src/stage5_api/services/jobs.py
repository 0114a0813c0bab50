"""Background batch-prediction jobs whose state lives in files, so any worker can report it.

A job's status is one JSON file ``<data_dir>/_jobs/<id>.json`` written atomically; the output
is ``<data_dir>/outputs/<id>.<parquet|csv>``, also written to a temp file then renamed.
"""

from __future__ import annotations

import asyncio
import os
import tempfile
import uuid
from pathlib import Path

import numpy as np
import pandas as pd

from stage5_api.errors import BatchInputError, Stage5Error
from stage5_api.models import BatchJobPublic, JobStatus, OutputFormat
from stage5_api.services.model_store import LoadedModel

__all__ = ["JobStore", "read_features", "write_output"]

CHUNK_ROWS = 10_000


def _write_atomic_bytes(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def read_features(path: Path, n_features: int | None) -> pd.DataFrame:
    """The numeric feature columns of a CSV or Parquet file, checked against the model width."""
    if not path.is_file():
        raise BatchInputError(f"input file {path.name!r} does not exist in the data directory")
    suffix = path.suffix.lower()
    try:
        if suffix == ".csv":
            frame = pd.read_csv(path)
        elif suffix in (".parquet", ".pq"):
            frame = pd.read_parquet(path)
        else:
            raise BatchInputError(f"input file {path.name!r}: use a .csv or .parquet file")
    except BatchInputError:
        raise
    except Exception as exc:
        raise BatchInputError(f"input file {path.name!r} is unreadable: {exc}") from exc
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
    """Write the predictions atomically as Parquet or CSV."""
    if fmt is OutputFormat.CSV:
        data = frame.to_csv(index=False).encode()
    else:
        data = frame.to_parquet(index=False)
    _write_atomic_bytes(path, data)


class JobStore:
    """Create, run and read batch jobs under one data directory."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.jobs_dir = data_dir / "_jobs"
        self.outputs_dir = data_dir / "outputs"

    def _status_path(self, job_id: str) -> Path:
        return self.jobs_dir / f"{job_id}.json"

    def save(self, job: BatchJobPublic) -> None:
        """Persist a job's state (atomic rename: readers never see half a file)."""
        _write_atomic_bytes(self._status_path(job.job_id), job.model_dump_json().encode())

    def get(self, job_id: str) -> BatchJobPublic | None:
        """A job by id, or None (ids are uuid4 hex; anything else is not a job)."""
        if len(job_id) != 32 or not all(c in "0123456789abcdef" for c in job_id):
            return None
        path = self._status_path(job_id)
        if not path.is_file():
            return None
        return BatchJobPublic.model_validate_json(path.read_bytes())

    def create(self, input_path: str) -> BatchJobPublic:
        """A new pending job."""
        job = BatchJobPublic(
            job_id=uuid.uuid4().hex, status=JobStatus.PENDING, input_path=input_path
        )
        self.save(job)
        return job

    async def run(
        self,
        job: BatchJobPublic,
        source: Path,
        model: LoadedModel,
        fmt: OutputFormat,
    ) -> BatchJobPublic:
        """Score ``source`` in chunks off the event loop, updating progress; never raises."""
        job = job.model_copy(update={"status": JobStatus.RUNNING, "model_version": model.version})
        self.save(job)
        try:
            features = await asyncio.to_thread(read_features, source, model.n_features)
            job.rows_total = len(features)
            self.save(job)
            preds: list[np.ndarray] = []
            confs: list[np.ndarray] = []
            values = features.to_numpy(dtype=float)
            for start in range(0, len(values), CHUNK_ROWS):
                chunk = values[start : start + CHUNK_ROWS]
                p, c = await asyncio.to_thread(model.predict, chunk)
                preds.append(p)
                confs.append(c)
                job.rows_done = start + len(chunk)
                job.progress = round(job.rows_done / max(job.rows_total, 1), 4)
                self.save(job)
            out = features.copy()
            out["prediction"] = np.concatenate(preds) if preds else np.array([], dtype=float)
            out["confidence"] = np.concatenate(confs) if confs else np.array([], dtype=float)
            target = self.outputs_dir / f"{job.job_id}.{fmt.value}"
            await asyncio.to_thread(write_output, out, target, fmt)
            job.status = JobStatus.SUCCEEDED
            job.progress = 1.0
            job.output_path = str(target.relative_to(self.data_dir))
        except Stage5Error as exc:
            job.status, job.error = JobStatus.FAILED, str(exc)
        except Exception as exc:  # unexpected: keep the type so the user can report it
            job.status, job.error = JobStatus.FAILED, f"{type(exc).__name__}: {exc}"
        self.save(job)
        return job
