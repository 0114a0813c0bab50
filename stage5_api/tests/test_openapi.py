"""The OpenAPI schema states the real contract: the loaded model's width, every error answer."""

from __future__ import annotations

import httpx


async def test_features_are_exactly_the_loaded_models_width(client: httpx.AsyncClient) -> None:
    schema = (await client.get("/openapi.json")).json()
    features = schema["components"]["schemas"]["PredictionRequest"]["properties"]["features"]
    assert features["minItems"] == features["maxItems"] == 10  # the bundled model's width
    assert "exactly 10" in features["description"]


async def test_every_error_answer_is_documented(client: httpx.AsyncClient) -> None:
    paths = (await client.get("/openapi.json")).json()["paths"]
    documented = {
        ("/predict", "post"): {"200", "404", "413", "422", "503"},
        ("/batch-predict", "post"): {"202", "400", "401", "404", "413", "422", "429", "503"},
        ("/jobs/{job_id}", "get"): {"200", "401", "404", "422"},
        ("/ready", "get"): {"200", "503"},
    }
    for (path, method), codes in documented.items():
        assert set(paths[path][method]["responses"]) == codes, (path, method)
    error = paths["/batch-predict"]["post"]["responses"]["429"]["content"]["application/json"]
    assert error["schema"]["$ref"].endswith("/ErrorPublic")
