"""Background batch jobs: API key, path confinement, progress, atomic outputs, clear failures."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import httpx
import numpy as np
import pandas as pd
import pytest
from conftest import API_KEY

from stage5_api.errors import UnsafePathError
from stage5_api.services.bundled_model import make_training_data
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
    for _ in range(200):
        body = (await client.get(url, headers=HEADERS)).json()
        if body["status"] in ("succeeded", "failed"):
            return body
        await asyncio.sleep(0.02)
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
