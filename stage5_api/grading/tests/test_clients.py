"""The exact-count client and the pytest plugin that watches the learner's tests."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from stage5_grading.ci_run import run_tests
from stage5_grading.loadtest.burst import send_all
from stage5_grading.workflow import load_workflow


class _Echo(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


class _EchoServer(ThreadingHTTPServer):
    # 60 simultaneous connects overflow the default listen backlog of 5 on a busy machine
    request_queue_size = 128


@pytest.fixture
def url() -> Iterator[str]:
    server = _EchoServer(("127.0.0.1", 0), _Echo)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/predict"
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize("simultaneous", [False, True])
def test_every_body_gets_its_own_answer_in_order(url: str, simultaneous: bool) -> None:
    bodies = [f'{{"i": {i}}}' for i in range(60)]
    replies = send_all(
        url, bodies, concurrency=20 if not simultaneous else 60, simultaneous=simultaneous
    )
    assert [r.body.decode() for r in replies] == bodies
    assert {r.status for r in replies} == {200}


def test_a_closed_port_is_an_error_per_request() -> None:
    replies = send_all("http://127.0.0.1:9/predict", ["{}"] * 3, concurrency=2, timeout_s=2)
    assert all(r.status is None and r.error for r in replies)


APP = """
from fastapi import FastAPI
app = FastAPI()

@app.post("/predict")
def predict(body: dict):
    return {"prediction": 1.0}

@app.get("/health")
def health():
    return {"ok": True}
"""

TESTS = """
from fastapi.testclient import TestClient
from main import app

def test_health():
    assert TestClient(app).get("/health").status_code == 200

def test_predict():
    assert TestClient(app).post("/predict", json={"features": [1]}).status_code == 200
"""

WORKFLOW = """
on: [push]
jobs:
  test:
    runs-on: ubuntu-latest
    steps:
      - run: pytest -q tests
"""


@pytest.mark.slow
def test_the_plugin_counts_outcomes_and_predictions(tmp_path: Path) -> None:
    root = tmp_path / "impl"
    (root / "tests").mkdir(parents=True)
    (root / "main.py").write_text(APP)
    (root / "tests" / "test_api.py").write_text(TESTS)
    wf = load_workflow(_write(tmp_path / "ci.yml", WORKFLOW))
    runs, record = run_tests(wf.with_role("test"), root, tmp_path, deadline=time.monotonic() + 120)
    assert [r.returncode for r in runs] == [0], runs[0].output[-800:]
    assert (record.passed, record.failed, record.skipped) == (2, 0, 0)
    assert record.predict_statuses == {"200": 1}
    assert record.tests_with_predict == ["tests/test_api.py::test_predict"]


def _write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path
