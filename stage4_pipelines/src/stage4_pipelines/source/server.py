"""The upstream HTTP API the pipeline extracts from, with fault injection (stdlib only).

Endpoints (JSON)::

    GET  /health                        -> {"status": "ok"}
    GET  /v1/days/2024-01-01/orders     -> [{"order_id": ..., ...}, ...]  (+ X-Row-Count header)
    GET  /admin/faults                  -> the fault plan and the faults injected so far
    PUT  /admin/faults                  -> replace the fault plan (body: FaultConfig JSON)

Run it with ``make serve-upstream-stage4`` or ``python -m stage4_pipelines.source.server --port 8765``.
"""

from __future__ import annotations

import argparse
import json
import threading
import time
from datetime import date
from functools import lru_cache
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any

from stage4_pipelines.source.faults import Fault, FaultConfig, FaultInjector
from stage4_pipelines.source.generator import TABLES, generate_day

__all__ = ["UpstreamServer", "main"]


class UpstreamServer:
    """A threaded HTTP server serving generated days; ``port=0`` picks a free port.

    **Usage**::

        with UpstreamServer(orders_per_day=200, faults=FaultConfig(http_5xx_rate=0.05)) as up:
            httpx.get(f"{up.url}/v1/days/2024-01-01/orders")
    """

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        orders_per_day: int = 200,
        seed: int = 7,
        faults: FaultConfig | None = None,
        timeout_sleep_seconds: float = 5.0,
    ) -> None:
        self.injector = FaultInjector(faults)
        self.orders_per_day = orders_per_day
        self.seed = seed
        self.timeout_sleep_seconds = timeout_sleep_seconds
        self.orders_overrides: dict[date, int] = {}
        """Days served with another size (e.g. one full-size day among small ones)."""
        self._httpd = ThreadingHTTPServer((host, port), _make_handler(self))
        self._httpd.daemon_threads = True
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        """Base URL, e.g. ``http://127.0.0.1:54321``."""
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> UpstreamServer:
        """Serve in a background thread."""
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and free the port."""
        self._httpd.shutdown()
        self._httpd.server_close()
        if self._thread is not None:
            self._thread.join()

    def __enter__(self) -> UpstreamServer:
        return self.start()

    def __exit__(
        self, et: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def table_json(self, day: date, table: str) -> tuple[bytes, int]:
        """The JSON body of ``table`` for ``day`` and its row count."""
        orders = self.orders_overrides.get(day, self.orders_per_day)
        return _table_json(day, table, orders, self.seed, self.injector.is_corrupt(day))


@lru_cache(maxsize=64)
def _table_json(day: date, table: str, orders: int, seed: int, corrupt: bool) -> tuple[bytes, int]:
    frame = generate_day(day, orders=orders, seed=seed, corrupt=corrupt).tables[table]
    body = frame.to_json(orient="records", date_format="iso").encode()
    return body, len(frame)


def _make_handler(server: UpstreamServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:  # quiet: tests run thousands
            return

        def _send(self, status: int, body: bytes, headers: dict[str, str] | None = None) -> None:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            for key, value in (headers or {}).items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self) -> None:
            parts = self.path.strip("/").split("/")
            if parts == ["health"]:
                self._send(200, b'{"status": "ok"}')
            elif parts == ["admin", "faults"]:
                state = {
                    "config": json.loads(server.injector.config.model_dump_json()),
                    "injected": dict(server.injector.counts),
                }
                self._send(200, json.dumps(state).encode())
            elif len(parts) == 4 and parts[:2] == ["v1", "days"] and parts[3] in TABLES:
                self._serve_table(parts[2], parts[3])
            else:
                self._send(404, b'{"error": "not found"}')

        def do_PUT(self) -> None:
            if self.path.strip("/") != "admin/faults":
                self._send(404, b'{"error": "not found"}')
                return
            length = int(self.headers.get("Content-Length", "0"))
            config = FaultConfig.model_validate_json(self.rfile.read(length))
            server.injector.reconfigure(config)
            self._send(200, config.model_dump_json().encode())

        def _serve_table(self, day_text: str, table: str) -> None:
            try:
                day = date.fromisoformat(day_text)
            except ValueError:
                self._send(400, b'{"error": "day must be YYYY-MM-DD"}')
                return
            fault = server.injector.draw(day)
            if fault in (Fault.HTTP_5XX, Fault.BROKEN_DAY):
                self._send(
                    503 if fault is Fault.HTTP_5XX else 500, b'{"error": "upstream failure"}'
                )
                return
            if fault is Fault.TIMEOUT:
                time.sleep(server.timeout_sleep_seconds)
            body, rows = server.table_json(day, table)
            if fault is Fault.TRUNCATED:  # a file cut mid-transfer, announced with its real size
                body = body[: len(body) // 2]
            self._send(200, body, {"X-Row-Count": str(rows)})

    return Handler


def main(argv: list[str] | None = None) -> None:
    """Serve the fake upstream until Ctrl-C."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--orders", type=int, default=2_000, help="orders per generated day")
    parser.add_argument("--fault-rate", type=float, default=0.0, help="5xx rate per request")
    args = parser.parse_args(argv)
    faults = FaultConfig(http_5xx_rate=args.fault_rate)
    server = UpstreamServer(
        host=args.host, port=args.port, orders_per_day=args.orders, faults=faults
    )
    print(f"upstream serving {args.orders} orders/day on {server.url} (Ctrl-C to stop)")
    try:
        server._httpd.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server._httpd.server_close()


if __name__ == "__main__":
    main()
