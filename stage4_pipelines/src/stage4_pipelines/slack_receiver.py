"""A stand-in Slack webhook on loopback: records every message posted to it (tests, grader)."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any

__all__ = ["SlackReceiver"]


class SlackReceiver:
    """Answers ``ok`` to every POST like Slack does and keeps the JSON bodies in ``messages``.

    ``port=0`` picks a free port; give one when the URL must be known before the receiver starts.

    **Usage**::

        with SlackReceiver() as slack:
            post_slack_message(slack.url, {"text": "hi"})
        assert slack.messages[0]["text"] == "hi"
    """

    def __init__(self, *, port: int = 0) -> None:
        self.messages: list[dict[str, Any]] = []
        received = self.messages

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                return

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                received.append(json.loads(body or b"{}"))
                self.send_response(200)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

        self._httpd = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        """The webhook URL to configure (``http://127.0.0.1:<port>/services/T000/B000/XXX``)."""
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}/services/T000/B000/XXX"

    def texts(self) -> list[str]:
        """The ``text`` field plus all block text of every message, one string per message."""
        return [json.dumps(m, ensure_ascii=False) for m in self.messages]

    def __enter__(self) -> SlackReceiver:
        self._thread.start()
        return self

    def __exit__(
        self, et: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join()
