"""Background batch jobs: API key, path confinement, progress, atomic outputs, clear failures."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import numpy as np
import pandas as pd
import pytest
from conftest import API_KEY

from stage5_api.errors import UnsafePathError
from stage5_api.main import create_app
from stage5_api.models import JobStatus, OutputFormat
from stage5_api.services.bundled_model import make_training_data
from stage5_api.services.jobs import JobStore
from stage5_api.services.paths import confine_path

HEADERS = {"X-API-Key": API_KEY}


def _write_inputs(data_dir: Path, rows: int = 500) -> pd.DataFrame:
    x, _ = make_training_data(rows, seed=7)
    frame = pd.DataFrame(x, columns=[f"f{i}" for i in range(x.shape[1])])
    data_dir.mkdir(parents=True, exist_ok=True)
    frame.to_csv(data_dir / "rows.csv", index=False)
    frame.to_parquet(data_dir / "rows.parquet", index=False)
    return frame


async def _wait(client: httpx.AsyncClient, url: str) -> dict:
    """Poll until the job ends (a job is a process of its own: seconds to import pandas)."""
    deadline = time.monotonic() + 180  # a bound for a busy machine, not a timed assertion
    while time.monotonic() < deadline:
        body = (await client.get(url, headers=HEADERS)).json()
        if body["status"] in ("succeeded", "failed"):
            return body
        await asyncio.sleep(0.05)
    raise AssertionError(f"job did not finish: {body}")


async def test_batch_requires_the_api_key(client: httpx.AsyncClient) -> None:
    payload = {"file_path": "rows.csv"}
    assert (await client.post("/batch-predict", json=payload)).status_code == 401
    wrong = await client.post("/batch-predict", json=payload, headers={"X-API-Key": "nope"})
    assert wrong.status_code == 401
    assert (await client.get("/jobs/" + "0" * 32)).status_code == 401


@pytest.mark.parametrize("fmt", ["parquet", "csv"])
async def test_batch_job_scores_a_file(client: httpx.AsyncClient, tmp_path: Path, fmt) -> None:
    data_dir = tmp_path / "data"
    frame = _write_inputs(data_dir)
    created = await client.post(
        "/batch-predict", json={"file_path": "rows.parquet", "output_format": fmt}, headers=HEADERS
    )
    assert created.status_code == 202
    job = await _wait(client, created.json()["status_url"])
    assert job["status"] == "succeeded", job
    assert job["rows_total"] == job["rows_done"] == 500
    assert job["progress"] == 1.0
    out = data_dir / job["output_path"]
    result = pd.read_parquet(out) if fmt == "parquet" else pd.read_csv(out)
    from stage5_api.services.bundled_model import train_bundled_model

    expected = train_bundled_model().predict(frame.to_numpy())
    np.testing.assert_array_equal(result["prediction"].to_numpy(), expected)
    assert not list(out.parent.glob("*.tmp"))  # atomic write left no temp file


@pytest.mark.parametrize(
    ("path", "reason"),
    [("../secret.csv", "'..'"), ("/etc/passwd", "absolute"), ("a/../../x.csv", "'..'")],
)
async def test_paths_outside_the_data_dir_are_400(client, path, reason) -> None:
    response = await client.post("/batch-predict", json={"file_path": path}, headers=HEADERS)
    assert response.status_code == 400
    assert reason in response.json()["detail"]


def test_symlink_escape_is_rejected(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    outside = tmp_path / "outside.csv"
    outside.write_text("a\n1\n")
    os.symlink(outside, data_dir / "link.csv")
    with pytest.raises(UnsafePathError, match="outside the data directory"):
        confine_path(data_dir, "link.csv")
    assert confine_path(data_dir, "sub/rows.csv") == (data_dir / "sub/rows.csv").resolve()


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("missing.csv", None, "does not exist"),
        ("notes.txt", "hello", "use a .csv or .parquet file"),
        ("narrow.csv", "a,b\n1,2\n", "expects 10"),
        ("words.csv", "a\nx\n", "no numeric feature columns"),
    ],
)
async def test_bad_inputs_fail_the_job_clearly(client, tmp_path, name, content, message) -> None:
    data_dir = tmp_path / "data"
    data_dir.mkdir(exist_ok=True)
    if content is not None:
        (data_dir / name).write_text(content)
    created = await client.post("/batch-predict", json={"file_path": name}, headers=HEADERS)
    assert created.status_code == 202
    job = await _wait(client, created.json()["status_url"])
    assert job["status"] == "failed"
    assert message in job["error"]
    assert job["output_path"] is None


async def test_unknown_job_is_404(client: httpx.AsyncClient) -> None:
    assert (await client.get("/jobs/" + "a" * 32, headers=HEADERS)).status_code == 404
    assert (await client.get("/jobs/..%2Fx", headers=HEADERS)).status_code == 404


def _store(tmp_path: Path, **limits) -> JobStore:
    return JobStore(tmp_path / "data", **limits)


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_a_job_whose_owner_died_is_marked_failed_when_read(tmp_path: Path) -> None:
    store = _store(tmp_path)
    source = tmp_path / "data" / "rows.csv"
    job = store.create("rows.csv", source, "1", OutputFormat.CSV)
    running = job.model_copy(update={"status": JobStatus.RUNNING, "owner_pid": _dead_pid()})
    store.save(running)
    seen = store.get(job.job_id)
    assert seen is not None and seen.status is JobStatus.FAILED
    assert "stopped before it finished" in (seen.error or "")
    # and a job whose owner lives is left alone
    alive = store.create("rows.csv", source, "1", OutputFormat.CSV)
    assert store.get(alive.job_id).status is JobStatus.PENDING  # type: ignore[union-attr]


def test_startup_reaps_the_jobs_of_a_dead_worker(make_settings, tmp_path: Path) -> None:
    settings = make_settings()
    store = _store(tmp_path)
    job = store.create("rows.csv", tmp_path / "x.csv", "1", OutputFormat.CSV)
    store.save(job.model_copy(update={"owner_pid": _dead_pid()}))
    app = create_app(settings)

    async def start() -> None:
        async with app.router.lifespan_context(app):
            pass

    asyncio.run(start())
    raw = (tmp_path / "data" / "_jobs" / f"{job.job_id}.json").read_text()
    assert '"status":"failed"' in raw


async def test_too_many_jobs_is_429_with_retry_after(make_settings, app_client, tmp_path) -> None:
    _write_inputs(tmp_path / "data")
    app = create_app(make_settings(job_max_concurrent=1, job_retry_after_s=7))
    async for c in app_client(app):
        # a job held by this (living) process fills the only slot
        app.state.service.jobs.create("rows.csv", tmp_path / "data/rows.csv", "1", OutputFormat.CSV)
        response = await c.post("/batch-predict", json={"file_path": "rows.csv"}, headers=HEADERS)
        assert response.status_code == 429, response.text
        assert response.headers["retry-after"] == "7"
        assert "limit is 1 (STAGE5_JOB_MAX_CONCURRENT)" in response.json()["detail"]


async def test_an_input_file_over_the_limit_is_413(make_settings, app_client, tmp_path) -> None:
    _write_inputs(tmp_path / "data")
    app = create_app(make_settings(job_max_input_bytes=1000))
    async for c in app_client(app):
        response = await c.post("/batch-predict", json={"file_path": "rows.csv"}, headers=HEADERS)
        assert response.status_code == 413, response.text
        assert "STAGE5_JOB_MAX_INPUT_BYTES" in response.json()["detail"]
        assert not list((tmp_path / "data" / "_jobs").glob("*.json"))  # no job was created


async def test_too_many_rows_fail_the_job(make_settings, app_client, tmp_path) -> None:
    _write_inputs(tmp_path / "data", rows=50)
    app = create_app(make_settings(job_max_rows=10))
    async for c in app_client(app):
        for name in ("rows.csv", "rows.parquet"):
            created = await c.post("/batch-predict", json={"file_path": name}, headers=HEADERS)
            job = await _wait(c, created.json()["status_url"])
            assert job["status"] == "failed" and "more than 10 rows" in job["error"], job


async def test_job_errors_hold_no_data_dir_path_or_traceback(client, tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    data_dir.mkdir(exist_ok=True)
    (data_dir / "broken.parquet").write_bytes(b"PAR1 this is not parquet")
    created = await client.post(
        "/batch-predict", json={"file_path": "broken.parquet"}, headers=HEADERS
    )
    job = await _wait(client, created.json()["status_url"])
    assert job["status"] == "failed" and "broken.parquet" in job["error"]
    assert str(tmp_path) not in job["error"] and "Traceback" not in job["error"]


def test_retention_deletes_old_and_surplus_jobs_with_their_outputs(tmp_path: Path) -> None:
    store = _store(tmp_path, retention_s=3600, max_kept=2)
    now = time.time()
    ids = []
    for age in (10, 20, 30, 7200):  # seconds old; the last one is past retention
        job = store.create("rows.csv", tmp_path / "x.csv", "1", OutputFormat.CSV)
        out = store.outputs_dir / f"{job.job_id}.csv"
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text("prediction\n1\n")
        done = job.model_copy(
            update={
                "status": JobStatus.SUCCEEDED,
                "created_at": now - age,
                "output_path": f"outputs/{job.job_id}.csv",
            }
        )
        store.save(done)
        ids.append(job.job_id)
    stale_tmp = store.jobs_dir / ".x.json.abc.tmp"
    stale_tmp.write_text("{")
    os.utime(stale_tmp, (now - 7200, now - 7200))
    store.sweep()
    kept = sorted(p.stem for p in store.jobs_dir.glob("*.json"))
    assert kept == sorted(ids[:2])  # the two newest; the 3rd is surplus, the 4th too old
    assert sorted(p.stem for p in store.outputs_dir.glob("*.csv")) == sorted(ids[:2])
    assert not stale_tmp.exists()
