"""Run stage 5's FastAPI app under a real uvicorn server in a background thread, on a free port."""

from __future__ import annotations

import socket
import threading
import time

import httpx
import uvicorn
from fastapi import FastAPI

from demo.errors import StepFailed

__all__ = ["ApiServer"]


class ApiServer:
    """uvicorn on an OS-assigned loopback port; ``start()`` returns once ``/ready`` says 200.

    **Usage**::

        server = ApiServer(create_app(settings)).start()
        httpx.get(server.url + "/health")
        server.stop()
    """

    def __init__(self, app: FastAPI, *, host: str = "127.0.0.1") -> None:
        # Binding port 0 ourselves avoids the race of "find a free port, then bind it".
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind((host, 0))
        self.port = int(self._sock.getsockname()[1])
        self.url = f"http://{host}:{self.port}"
        config = uvicorn.Config(app, log_level="warning", loop="asyncio", access_log=False)
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [self._sock]}, daemon=True
        )

    def start(self, timeout_s: float = 120.0) -> ApiServer:
        """Start serving and wait until the model is loaded (readiness), or fail clearly."""
        self._thread.start()
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if not self._thread.is_alive():
                raise StepFailed("api", "uvicorn stopped while starting (see the log above)")
            try:
                if httpx.get(self.url + "/ready", timeout=2.0).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        self.stop()
        raise StepFailed("api", f"{self.url}/ready did not answer 200 within {timeout_s:.0f} s")

    def stop(self) -> None:
        """Ask uvicorn to finish (the app's lifespan drains the batch queue) and wait."""
        self._server.should_exit = True
        if self._thread.is_alive():
            self._thread.join(timeout=30)
        self._sock.close()
