"""One batch job in its own process: ``python -m stage5_api.services.job_process SPEC_JSON``.

Why a process: scoring a file reads it whole with pandas, and in the server's worker that
held the GIL and the CPU away from ``/predict`` and left the worker's RSS grown after every job
(issue 15: 263 → 583 MB, ``/predict`` p99 217 ms while jobs ran). A process of its own gives
its memory back when it exits, runs at a lower priority (``nice``) than the server, and is
killed with its worker (``PR_SET_PDEATHSIG``), so a job never outlives the worker that owns it
— the worker's replacement then finds it ``running`` with a dead owner and marks it failed.
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys
from pathlib import Path

import numpy as np
from pydantic import BaseModel

from stage5_api.models import JobStatus, OutputFormat
from stage5_api.services.jobs import (
    JobRecord,
    JobStore,
    describe_failure,
    read_features,
    write_output,
)
from stage5_api.services.model_store import LoadedModel, signature_of
from stage5_api.services.registry_spec import RegistrySpec, open_registry

__all__ = ["CHUNK_ROWS", "JobSpec", "main", "score"]

CHUNK_ROWS = 10_000
_PR_SET_PDEATHSIG = 1


class JobSpec(BaseModel):
    """Everything the job process needs, passed as one JSON argument."""

    job_id: str
    data_dir: str
    source: str  # resolved path inside data_dir, checked by the server
    registry: RegistrySpec
    max_rows: int
    parent_pid: int
    nice: int = 10


def _die_with_parent(parent_pid: int) -> None:
    """Ask Linux to SIGKILL us when the worker dies; exit now if it already has."""
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != parent_pid:
        os._exit(1)


def score(
    store: JobStore, job: JobRecord, source: Path, model: LoadedModel, max_rows: int
) -> JobRecord:
    """Score ``source`` in chunks, writing progress into the job's record; never raises."""
    job = job.model_copy(update={"status": JobStatus.RUNNING}).owned_by(os.getpid())
    store.save(job)
    try:
        features = read_features(source, model.n_features, max_rows)
        job.rows_total = len(features)
        store.save(job)
        preds: list[np.ndarray] = []
        confs: list[np.ndarray] = []
        values = features.to_numpy(dtype=float)
        for start in range(0, len(values), CHUNK_ROWS):
            chunk = values[start : start + CHUNK_ROWS]
            p, c = model.predict(chunk)
            preds.append(p)
            confs.append(c)
            job.rows_done = start + len(chunk)
            job.progress = round(job.rows_done / max(job.rows_total, 1), 4)
            store.save(job)
        out = features.copy()
        out["prediction"] = np.concatenate(preds) if preds else np.array([], dtype=float)
        out["confidence"] = np.concatenate(confs) if confs else np.array([], dtype=float)
        target = store.outputs_dir / f"{job.job_id}.{job.output_format.value}"
        write_output(out, target, OutputFormat(job.output_format))
        job.status = JobStatus.SUCCEEDED
        job.progress = 1.0
        job.output_path = str(target.relative_to(store.data_dir))
    except Exception as exc:
        job.status, job.error = JobStatus.FAILED, describe_failure(exc, store.data_dir)
    store.save(job)
    return job


def main(argv: list[str] | None = None) -> int:
    """Run the job a JSON spec describes; exit 0 once its final state is written."""
    args = sys.argv[1:] if argv is None else argv
    spec = JobSpec.model_validate_json(args[0])
    _die_with_parent(spec.parent_pid)
    os.nice(spec.nice)
    store = JobStore(Path(spec.data_dir))
    job = store.get(spec.job_id)
    if job is None:
        return 2
    try:
        raw = open_registry(spec.registry).load(str(job.model_version))
        width, columns, integers = signature_of(raw)
        model = LoadedModel(str(job.model_version), width, raw, columns, integers)
    except Exception as exc:
        store.fail(job.job_id, describe_failure(exc, store.data_dir))
        return 0
    score(store, job, Path(spec.source), model, spec.max_rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
