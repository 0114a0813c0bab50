"""A wrong tracking URI fails in seconds with the URI and the fix, never a minutes-long hang."""

from __future__ import annotations

import http.server
import socket
import threading
from collections.abc import Iterator

import mlflow
import pytest
from typer.testing import CliRunner

from stage3_mlops.cli import app
from stage3_mlops.config import MLOpsConfig
from stage3_mlops.errors import TrackingError
from stage3_mlops.mlops import RecommendationMLOps
from stage3_mlops.servers import find_free_port

_HTTP_VARS = (
    "MLFLOW_HTTP_REQUEST_MAX_RETRIES",
    "MLFLOW_HTTP_REQUEST_TIMEOUT",
    "MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR",
)


@pytest.fixture(autouse=True)
def _restore_mlflow_globals(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The constructor sets the global tracking URI and MLflow's HTTP variables: undo both."""
    for name in _HTTP_VARS:
        monkeypatch.setenv(name, "0")  # recorded, so the original state comes back afterwards
        monkeypatch.delenv(name)
    previous = mlflow.get_tracking_uri()
    yield
    mlflow.set_tracking_uri(previous)


@pytest.fixture
def refused_uri() -> str:
    """A loopback port nobody listens on."""
    return f"http://127.0.0.1:{find_free_port()}"


@pytest.fixture
def silent_uri() -> Iterator[str]:
    """A port that accepts connections (the kernel's backlog) and never answers."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(16)
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"


class _HealthyButStuck(http.server.BaseHTTPRequestHandler):
    """Answers /health like MLflow, then hangs on every API call (a wedged backend store)."""

    release = threading.Event()

    def do_GET(self) -> None:
        if self.path == "/health":
            self.send_response(200)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"OK")
            return
        self.release.wait(30)

    do_POST = do_GET

    def log_message(self, format: str, *args: object) -> None:
        del format, args


@pytest.fixture
def stuck_uri() -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _HealthyButStuck)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        _HealthyButStuck.release.set()
        server.shutdown()
        server.server_close()


def test_refused_tracking_uri_names_the_uri_and_how_to_start_the_server(refused_uri: str) -> None:
    with pytest.raises(TrackingError, match="refused the connection") as info:
        RecommendationMLOps("recsys", tracking_uri=refused_uri)
    assert refused_uri in str(info.value) and "make serve-mlflow-stage3" in str(info.value)
    assert info.value.tracking_uri == refused_uri


def test_tracking_uri_that_never_answers_times_out(silent_uri: str) -> None:
    config = MLOpsConfig(connect_timeout_s=1.0)
    with pytest.raises(TrackingError, match=r"did not answer GET /health within 1 s") as info:
        RecommendationMLOps("recsys", tracking_uri=silent_uri, config=config)
    assert silent_uri in str(info.value)


def test_server_that_hangs_after_health_fails_within_the_bounded_retries(stuck_uri: str) -> None:
    config = MLOpsConfig(http_timeout_s=1, http_max_retries=0)
    with pytest.raises(TrackingError, match="failed to set experiment") as info:
        RecommendationMLOps("recsys", tracking_uri=stuck_uri, config=config)
    assert stuck_uri in str(info.value) and "0 retries" in str(info.value)


def test_mlflow_retries_are_bounded_unless_the_user_set_them(
    refused_uri: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    import os

    with pytest.raises(TrackingError):
        RecommendationMLOps("recsys", tracking_uri=refused_uri)
    assert os.environ["MLFLOW_HTTP_REQUEST_MAX_RETRIES"] == "2"
    assert os.environ["MLFLOW_HTTP_REQUEST_TIMEOUT"] == "60"
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "5")
    with pytest.raises(TrackingError):
        RecommendationMLOps("recsys", tracking_uri=refused_uri)
    assert os.environ["MLFLOW_HTTP_REQUEST_MAX_RETRIES"] == "5"


@pytest.mark.parametrize("command", ["train-grid", "rollback"])
def test_cli_reports_an_unreachable_server_without_a_traceback(
    command: str, refused_uri: str
) -> None:
    result = CliRunner().invoke(app, [command, "--tracking-uri", refused_uri])
    assert result.exit_code == 1, result.output
    assert refused_uri in result.output and "Traceback" not in result.output
    assert not isinstance(result.exception, TrackingError)  # handled, not propagated
