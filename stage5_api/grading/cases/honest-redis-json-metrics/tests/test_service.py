from fastapi.testclient import TestClient

from main import app

client = TestClient(app)


def test_predict() -> None:
    response = client.post("/predict", json={"features": [0.5] * 10})
    assert response.status_code == 200
    assert response.json()["model_version"] == "tree-1"


def test_health() -> None:
    assert client.get("/health").json() == {"status": "ok"}
