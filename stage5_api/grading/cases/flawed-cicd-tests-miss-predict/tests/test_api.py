from fastapi.testclient import TestClient

from main import app


def test_health():
    with TestClient(app) as client:
        assert client.get("/health").status_code == 200


def test_metrics_are_prometheus_text():
    with TestClient(app) as client:
        assert "api_requests_total" in client.get("/metrics").text
