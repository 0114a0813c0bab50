"""Step 5 (stage 5): serve the promoted model with the prediction API and send it traffic."""

from __future__ import annotations

import asyncio
import statistics
import time
from typing import Any

import httpx

from demo.api_server import ApiServer
from demo.config import DemoSettings
from demo.results import Artifact, StepResult, write_json
from demo.step_mlops import CHAMPION, MlopsHandoff
from stage5_api.core.config import Settings
from stage5_api.main import create_app

__all__ = ["run_api"]

CONCURRENCY = 16  # requests in flight: enough to show micro-batching, gentle on 2 cores
USERS = 25  # users asked about in turn: repeats show the cache at work when Redis is set


def run_api(settings: DemoSettings, handoff: MlopsHandoff) -> tuple[StepResult, ApiServer]:
    """Start the API on the champion, send ``api_requests`` predictions, snapshot ``/metrics``.

    Returns the running server: the runner stops it, or keeps it up with ``--serve``.
    """
    out = settings.out / "stage5"
    out.mkdir(parents=True, exist_ok=True)
    api_settings = Settings(
        mlflow_tracking_uri=handoff.tracking_uri,
        model_name=handoff.model_name,
        redis_url=settings.redis_url,  # None: no cache, the API says "disabled" in /ready
        cache_prefix="demo:pred:",
        # The demo shows the cache at work. The service's cost gate would skip Redis for a model
        # this cheap (a call under 1 ms costs less than the round trip), and whether it does
        # depends on how fast the machine is at that moment: 0 keeps it on, deterministically.
        cache_min_model_ms=0.0,
        data_dir=out / "data",
    )
    server = ApiServer(create_app(api_settings)).start()
    try:
        responses = asyncio.run(_send(server.url, settings.profile.api_requests))
        ready = httpx.get(server.url + "/ready", timeout=10).json()
        metrics = httpx.get(server.url + "/metrics", timeout=10).text
        dashboard = httpx.get(server.url + "/dashboard", timeout=10).status_code
    except BaseException:
        server.stop()
        raise
    (out / "metrics.txt").write_text(metrics, encoding="utf-8")
    ok = [r for r in responses if r["status"] == 200]
    latencies = sorted(r["client_ms"] for r in ok)
    write_json(out / "requests.json", {"ready": ready, "responses": responses})
    summary = {
        "url": server.url,
        "model": f"{handoff.model_name} @{CHAMPION} (v{ready.get('model_version')})",
        "requests": len(responses),
        "ok": len(ok),
        "redis": ready.get("redis"),
        "client_p50_ms": round(statistics.median(latencies), 1) if latencies else None,
        "dashboard_status": dashboard,
        "distinct_items_recommended": len({r["prediction"] for r in ok}),
    }
    step = StepResult(
        step="api",
        stage=5,
        title="Serve the promoted model (실시간 예측 API, 모니터링 대시보드)",
        summary=summary,
        artifacts=[
            Artifact(label="prediction API", location=server.url + "/docs", kind="url"),
            Artifact(label="monitoring dashboard", location=server.url + "/dashboard", kind="url"),
            Artifact(label="Prometheus metrics", location=server.url + "/metrics", kind="url"),
            Artifact(label="requests and answers", location=str(out / "requests.json")),
            Artifact(label="metrics snapshot", location=str(out / "metrics.txt")),
        ],
    )
    return step, server


async def _send(url: str, n: int) -> list[dict[str, Any]]:
    """``n`` predictions for users 0..USERS-1 in turn, at most CONCURRENCY in flight."""
    limit = asyncio.Semaphore(CONCURRENCY)
    async with httpx.AsyncClient(base_url=url, timeout=30) as client:

        async def one(i: int) -> dict[str, Any]:
            # no model_version: stage 5 serves the champion by default (STAGE5_DEFAULT_MODEL_VERSION)
            body = {"features": [float(i % USERS)]}
            async with limit:
                started = time.perf_counter()
                response = await client.post("/predict", json=body)
                elapsed = (time.perf_counter() - started) * 1000
            data = response.json() if response.status_code == 200 else {}
            return {
                "user_id": i % USERS,
                "status": response.status_code,
                "prediction": data.get("prediction"),
                "model_version": data.get("model_version"),
                "client_ms": round(elapsed, 2),
            }

        return list(await asyncio.gather(*(one(i) for i in range(n))))
