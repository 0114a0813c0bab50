"""Bad input a reviewer would try, each answered with a clear 4xx, never a 500 (issue 15)."""

from __future__ import annotations

import httpx
import pytest
from conftest import API_KEY

from stage5_api.main import create_app

HEADERS = {"X-API-Key": API_KEY}


@pytest.mark.parametrize(
    ("path", "says"),
    [
        ("rows\x00.csv", r"control character '\x00'"),  # NUL: ValueError from os.stat
        ("rows\n.csv", r"control character '\n'"),
        ("rows\x7f.csv", r"control character '\x7f'"),
        ("x" * 300 + ".csv", "the limit is 255"),  # ENAMETOOLONG from os.stat
    ],
)
async def test_invalid_path_bytes_are_400(client: httpx.AsyncClient, path, says) -> None:
    response = await client.post("/batch-predict", json={"file_path": path}, headers=HEADERS)
    assert response.status_code == 400, response.text
    detail = response.json()["detail"]
    assert detail.startswith("file_path ") and says in detail, detail


@pytest.mark.parametrize(
    ("url", "body"),
    [
        ("/batch-predict", '{"file_path": "\\ud800.csv"}'),
        ("/predict", '{"features": [1,2,3,4,5,6,7,8,9,0], "model_version": "\\ud800"}'),
    ],
)
async def test_a_lone_surrogate_is_422_not_500(client: httpx.AsyncClient, url, body) -> None:
    """Valid JSON with no UTF-8 form: the 422 that echoes it must still be writable."""
    response = await client.post(
        url, content=body.encode(), headers={**HEADERS, "Content-Type": "application/json"}
    )
    assert response.status_code == 422, response.text
    assert response.json()["detail"][0]["input"].startswith("\\ud800")


@pytest.mark.parametrize("url", ["/batch-predict", "/predict"])
async def test_a_chunked_oversized_body_is_413(make_settings, app_client, url) -> None:
    """No Content-Length (chunked): the limit trips while the route reads, and still says 413."""

    async def chunks():
        yield b'{"file_path": "'
        for _ in range(64):
            yield b"x" * 1024
        yield b'"}'

    async for c in app_client(create_app(make_settings(max_body_bytes=4096))):
        response = await c.post(
            url, content=chunks(), headers={**HEADERS, "Content-Type": "application/json"}
        )
        assert response.status_code == 413, response.text
        assert "the limit is 4096 bytes" in response.json()["detail"]
