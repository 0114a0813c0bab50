"""Shared fixtures: settings pointing at a private Redis key prefix and a tmp data directory."""

from __future__ import annotations

import socket
import uuid
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from stage5_api.core.config import Settings
from stage5_api.main import create_app

API_KEY = "test-secret-key"
REDIS_URL = "redis://127.0.0.1:6379/0"


def closed_port() -> int:
    """A loopback port nobody listens on (bound then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def make_settings(tmp_path: Path) -> Callable[..., Settings]:
    """Settings for one test: no Redis unless asked, a unique cache prefix, tmp data dir."""

    def make(**overrides: Any) -> Settings:
        values: dict[str, Any] = {
            "redis_url": None,
            "cache_prefix": f"stage5test:{uuid.uuid4().hex}:",
            "data_dir": tmp_path / "data",
            "api_key": API_KEY,
            "mlflow_tracking_uri": None,
        }
        values.update(overrides)
        return Settings(**values)

    return make


async def _client_for(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            yield client


@pytest.fixture
async def client(make_settings: Callable[..., Settings]) -> AsyncIterator[httpx.AsyncClient]:
    """An in-process client of an app with the bundled model and no Redis."""
    async for c in _client_for(create_app(make_settings())):
        yield c


@pytest.fixture
def app_client() -> Callable[[FastAPI], AsyncIterator[httpx.AsyncClient]]:
    """Build a client for any app (``async for c in app_client(app)``)."""
    return _client_for
