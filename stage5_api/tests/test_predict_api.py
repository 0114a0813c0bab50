"""POST /predict through the real app (in-process ASGI transport)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import httpx
import orjson

from stage5_api.main import create_app

ROW = [0.1, -0.2, 0.3, 0.4, -0.5, 0.6, 0.7, -0.8, 0.9, 1.0]


async def test_predict_returns_the_roadmap_response(client: httpx.AsyncClient) -> None:
    response = await client.post("/predict", json={"features": ROW})
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"prediction", "confidence", "model_version", "processing_time_ms"}
    assert body["prediction"] in (0.0, 1.0)
    assert 0.5 <= body["confidence"] <= 1.0
    assert body["model_version"] == "1"
    assert body["processing_time_ms"] > 0


async def test_aliases_of_the_bundled_model(client: httpx.AsyncClient) -> None:
    for ref in ("latest", "1", "champion"):
        response = await client.post("/predict", json={"features": ROW, "model_version": ref})
        assert response.status_code == 200, ref
        assert response.json()["model_version"] == "1"


async def test_unknown_version_is_404(client: httpx.AsyncClient) -> None:
    response = await client.post("/predict", json={"features": ROW, "model_version": "42"})
    assert response.status_code == 404
    assert "'42' not found" in response.json()["detail"]


async def test_wrong_feature_count_is_422_naming_the_field(client: httpx.AsyncClient) -> None:
    response = await client.post("/predict", json={"features": [1.0, 2.0]})
    assert response.status_code == 422
    detail = response.json()["detail"][0]
    assert detail["loc"] == ["body", "features"]
    assert "expected 10" in detail["msg"]


async def test_bad_types_are_422(client: httpx.AsyncClient) -> None:
    for payload in ({"features": "x"}, {"features": []}, {}, {"features": ["a"] * 10}):
        response = await client.post("/predict", json=payload)
        assert response.status_code == 422, payload
        assert response.json()["detail"][0]["loc"][:2] == ["body", "features"]


async def test_oversized_body_is_413(make_settings, app_client) -> None:
    app = create_app(make_settings(max_body_bytes=1024))
    async for c in app_client(app):
        response = await c.post("/predict", json={"features": [0.5] * 2000})
        assert response.status_code == 413


async def test_prediction_equals_the_model(client: httpx.AsyncClient) -> None:
    from stage5_api.services.bundled_model import train_bundled_model

    model = train_bundled_model()
    expected = float(model.predict([ROW])[0])
    response = await client.post("/predict", json={"features": ROW})
    assert response.json()["prediction"] == expected


async def test_full_queue_answers_503_with_retry_after(make_settings, app_client) -> None:
    app = create_app(make_settings(max_queue_depth=2, batch_max_wait_ms=200, batch_max_size=64))
    async for c in app_client(app):
        responses = await asyncio.gather(
            *(c.post("/predict", json={"features": ROW}) for _ in range(10))
        )
        codes = sorted(r.status_code for r in responses)
        assert codes.count(200) >= 2
        rejected = [r for r in responses if r.status_code == 503]
        assert rejected, codes
        assert all(r.headers["retry-after"] == "1" for r in rejected)
        metrics = (await c.get("/metrics")).text
        assert f'stage5_errors_total{{kind="overloaded"}} {float(len(rejected))}' in metrics


async def test_concurrent_requests_are_batched(make_settings, app_client) -> None:
    app = create_app(make_settings(batch_max_wait_ms=20))
    async for c in app_client(app):
        responses = await asyncio.gather(
            *(c.post("/predict", json={"features": [i / 10] * 10}) for i in range(40))
        )
        assert all(r.status_code == 200 for r in responses)
        metrics = (await c.get("/metrics")).text
        count = next(
            float(line.split()[-1])
            for line in metrics.splitlines()
            if line.startswith("stage5_batch_size_count")
        )
        assert count < 40  # fewer model calls than requests: batching batches
        assert "stage5_batch_size_sum 40.0" in metrics


async def test_fast_path_reads_a_streamed_body_and_counts_the_route(
    client: httpx.AsyncClient,
) -> None:
    # /predict is answered by a plain-ASGI fast path; a body arriving in pieces must be joined
    body = orjson.dumps({"features": ROW})

    async def chunks() -> AsyncIterator[bytes]:
        for i in range(0, len(body), 7):
            yield body[i : i + 7]

    headers = {"content-type": "application/json"}
    response = await client.post("/predict", content=chunks(), headers=headers)
    assert response.status_code == 200
    assert response.json()["model_version"] == "1"
    metrics = (await client.get("/metrics")).text
    assert 'stage5_http_requests_total{method="POST",route="/predict",status="200"} 1.0' in metrics


async def test_non_finite_features_are_422_not_500(client: httpx.AsyncClient) -> None:
    for literal in ("NaN", "Infinity", "1e400"):
        body = '{"features": [' + literal + ", 1, 1, 1, 1, 1, 1, 1, 1, 1]}"
        response = await client.post(
            "/predict", content=body, headers={"content-type": "application/json"}
        )
        assert response.status_code == 422, literal
        assert "finite" in response.json()["detail"][0]["msg"]


async def test_forest_kind_serves_the_bundled_random_forest(make_settings, app_client) -> None:
    import numpy as np

    from stage5_api.services.bundled_model import train_bundled_model

    forest = train_bundled_model("forest")
    assert len(forest.estimators_) == 100  # type: ignore[attr-defined]
    rows = np.random.default_rng(3).uniform(-2, 2, size=(12, 10)).round(3)
    app = create_app(make_settings(bundled_model="forest"))
    async for c in app_client(app):
        responses = await asyncio.gather(
            *(c.post("/predict", json={"features": row.tolist()}) for row in rows)
        )
    proba = forest.predict_proba(rows)  # type: ignore[attr-defined]
    for response, p in zip(responses, proba, strict=True):
        body = response.json()
        assert body["prediction"] == float(p.argmax())
        assert abs(body["confidence"] - float(p.max())) < 1e-9


def test_unknown_bundled_kind_names_the_choices() -> None:
    import pytest

    from stage5_api.services.bundled_model import train_bundled_model

    with pytest.raises(ValueError, match="logreg, forest"):
        train_bundled_model("tree")


async def test_the_fast_path_and_the_plain_route_answer_alike(make_settings, app_client) -> None:
    """STAGE5_PREDICT_FAST_PATH on or off: the same status and body for every kind of request."""
    requests = [
        {"features": ROW},
        {"features": ROW, "model_version": "champion"},
        {"features": [1.0, 2.0]},
        {"features": ROW, "model_version": "42"},
        {"features": "x"},
    ]
    answers: dict[bool, list[tuple[int, object]]] = {}
    for fast in (True, False):
        app = create_app(make_settings(predict_fast_path=fast))
        has_fast_path = any(m.cls.__name__ == "PredictFastPath" for m in app.user_middleware)
        assert has_fast_path is fast
        answers[fast] = []
        async for c in app_client(app):
            for body in requests:
                response = await c.post("/predict", json=body)
                data = response.json()
                if isinstance(data, dict):
                    data.pop("processing_time_ms", None)
                answers[fast].append((response.status_code, data))
    assert answers[True] == answers[False]
    assert [code for code, _ in answers[True]] == [200, 200, 422, 404, 422]
