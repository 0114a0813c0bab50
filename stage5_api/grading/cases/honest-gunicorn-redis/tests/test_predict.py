import httpx
import pytest

from main import app


@pytest.fixture
async def client():
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as c:
        yield c


async def test_prediction_is_a_class_with_confidence(client):
    response = await client.post("/predict", json={"features": [1.0] * 10})
    assert response.status_code == 200
    assert response.json()["prediction"] in (0, 1)


async def test_same_features_same_answer(client):
    first = await client.post("/predict", json={"features": [0.3] * 10})
    second = await client.post("/predict", json={"features": [0.3] * 10})
    assert first.json()["prediction"] == second.json()["prediction"]


async def test_too_few_features_are_rejected(client):
    response = await client.post("/predict", json={"features": [1.0]})
    assert response.status_code == 422
