"""The open-loop load generator counts only the measured window, never the warm-up."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from stage5_grading.loadtest.openloop import run_open_loop


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers["Content-Length"]))
        body = b'{"ok": true}'
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def url() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/predict"
    server.shutdown()
    server.server_close()


def test_warm_up_requests_are_sent_but_not_counted(url: str):
    result = run_open_loop(url, ['{"features": [1]}'], rate=200, duration_s=0.5, warmup_s=0.25)
    assert result.sent == 100  # 0.5 s at 200/s; the 50 warm-up requests are not in it
    assert result.ok == 100 and result.failed == 0 and result.shed == 0
    assert result.warmup_s == 0.25
    assert 0 < result.p50_ms <= result.p99_ms <= result.max_ms


@pytest.mark.parametrize("kwargs", [{"rate": 0}, {"duration_s": 0}, {"warmup_s": -1}])
def test_bad_arguments_are_refused_by_name(url: str, kwargs: dict[str, float]):
    with pytest.raises(ValueError, match=next(iter(kwargs))):
        run_open_loop(url, ['{"features": [1]}'], **kwargs)
