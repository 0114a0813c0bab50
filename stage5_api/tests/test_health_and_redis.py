"""Liveness, readiness, and the Redis cache — including Redis being down."""

from __future__ import annotations

import httpx
import pytest
import redis
from conftest import REDIS_URL, closed_port

from stage5_api.main import create_app

ROW = [0.3] * 10


def _metric(text: str, name: str) -> float:
    return sum(float(line.split()[-1]) for line in text.splitlines() if line.startswith(name))


async def test_health_is_ok(client: httpx.AsyncClient) -> None:
    response = await client.get("/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


async def test_ready_without_redis_reports_disabled(client: httpx.AsyncClient) -> None:
    body = (await client.get("/ready")).json()
    assert body == {
        "ready": True,
        "model_loaded": True,
        "model_version": "1",
        "redis": "disabled",
        "degraded": False,
    }


async def test_not_ready_before_the_model_is_loaded(make_settings) -> None:
    app = create_app(make_settings())  # lifespan not run: nothing loaded yet
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as c:
        response = await c.get("/ready")
    assert response.status_code == 503
    assert response.json()["model_loaded"] is False


async def _wait_for_key(prefix: str) -> None:
    import asyncio

    client = redis.Redis.from_url(REDIS_URL)
    try:
        for _ in range(100):
            if list(client.scan_iter(match=f"{prefix}*")):
                return
            await asyncio.sleep(0.02)
    finally:
        client.close()
    raise AssertionError("the prediction was never cached")


@pytest.mark.service
async def test_repeated_input_is_served_from_redis(make_settings, app_client) -> None:
    # cache_min_model_ms=0: use Redis even for the cheap bundled model (off by default for it)
    settings = make_settings(redis_url=REDIS_URL, cache_min_model_ms=0)
    app = create_app(settings)
    async for c in app_client(app):
        first = (await c.post("/predict", json={"features": ROW})).json()
        await _wait_for_key(settings.cache_prefix)  # the batch stores misses after answering
        second = (await c.post("/predict", json={"features": ROW})).json()
        assert first["prediction"] == second["prediction"]
        assert first["confidence"] == second["confidence"]
        metrics = (await c.get("/metrics")).text
        assert _metric(metrics, "stage5_cache_hits_total") == 1
        assert _metric(metrics, "stage5_cache_misses_total") == 1
        ready = (await c.get("/ready")).json()
        assert ready["redis"] == "ok" and ready["degraded"] is False
    client = redis.Redis.from_url(REDIS_URL)
    keys = list(client.scan_iter(match=f"{settings.cache_prefix}*"))
    assert len(keys) == 1
    assert 0 < client.ttl(keys[0]) <= settings.cache_ttl_s
    client.delete(*keys)
    client.close()


async def test_redis_down_still_answers_and_reports_degraded(make_settings, app_client) -> None:
    app = create_app(make_settings(redis_url=f"redis://127.0.0.1:{closed_port()}/0"))
    async for c in app_client(app):
        for _ in range(3):
            response = await c.post("/predict", json={"features": ROW})
            assert response.status_code == 200
        ready = await c.get("/ready")
        assert ready.status_code == 200
        assert ready.json()["redis"] == "down"
        assert ready.json()["degraded"] is True
        metrics = (await c.get("/metrics")).text
        assert _metric(metrics, "stage5_cache_errors_total") >= 1
        assert _metric(metrics, "stage5_redis_up") == 0


@pytest.mark.service
async def test_cheap_model_skips_redis_by_default(make_settings, app_client) -> None:
    # the bundled model answers a batch in far less than cache_min_model_ms (1 ms by default),
    # so a Redis round trip would cost more than it saves: nothing is looked up or stored
    settings = make_settings(redis_url=REDIS_URL, cache_min_model_ms=1000)
    app = create_app(settings)
    async for c in app_client(app):
        for _ in range(3):
            assert (await c.post("/predict", json={"features": ROW})).status_code == 200
        metrics = (await c.get("/metrics")).text
        assert _metric(metrics, "stage5_cache_hits_total") == 0
        assert _metric(metrics, "stage5_cache_misses_total") == 0
        assert (await c.get("/ready")).json()["redis"] == "ok"
    client = redis.Redis.from_url(REDIS_URL)
    assert not list(client.scan_iter(match=f"{settings.cache_prefix}*"))
    client.close()
