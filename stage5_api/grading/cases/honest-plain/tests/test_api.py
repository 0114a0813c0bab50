from fastapi.testclient import TestClient

from main import app


def test_predict_returns_a_prediction():
    with TestClient(app) as client:
        response = client.post("/predict", json={"features": [0.1] * 10})
    assert response.status_code == 200
    body = response.json()
    assert body["prediction"] in (0.0, 1.0)
    assert 0.5 <= body["confidence"] <= 1.0


def test_wrong_number_of_features_is_422():
    with TestClient(app) as client:
        response = client.post("/predict", json={"features": [0.1] * 3})
    assert response.status_code == 422


def test_metrics_count_predictions():
    with TestClient(app) as client:
        client.post("/predict", json={"features": [0.2] * 10})
        text = client.get("/metrics").text
    assert "api_requests_total" in text
