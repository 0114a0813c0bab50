"""Run an ASGI app under uvicorn in a subprocess on a free loopback port, and stop it cleanly.

Ports, readiness and stopping come from ``gradekit.processes`` (shared by every stage's grader);
``free_port`` is re-exported here.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import ModuleType, TracebackType

import psutil

from gradekit.errors import ProcessStartError
from gradekit.processes import free_port, stop_tree, wait_until_answers

__all__ = ["AppTarget", "UvicornServer", "free_port", "target_of_module"]


class AppTarget:
    """How uvicorn finds an app: ``module:attr`` plus an optional folder for ``--app-dir``."""

    def __init__(self, import_string: str, app_dir: Path | None = None) -> None:
        self.import_string = import_string
        self.app_dir = app_dir

    def __repr__(self) -> str:
        return f"AppTarget({self.import_string!r}, app_dir={self.app_dir})"


def target_of_module(module: ModuleType, attr: str = "app") -> AppTarget:
    """The uvicorn target of an imported module (a learner's file gets ``--app-dir``)."""
    file = getattr(module, "__file__", None)
    if module.__name__.startswith("_gradekit_impl_") and file:
        path = Path(file)
        return AppTarget(f"{path.stem}:{attr}", path.parent)
    return AppTarget(f"{module.__name__}:{attr}")


class UvicornServer:
    """``with UvicornServer(target, workers=2) as server: ... server.url``.

    The server gets its own PROMETHEUS_MULTIPROC_DIR so ``/metrics`` sums all workers, and is
    stopped with SIGTERM (uvicorn drains in-flight requests), then SIGKILL after a grace period.
    With several workers and ``reuseport`` (the default) each worker accepts on its own
    SO_REUSEPORT socket (``stage5_api.serve``), so a busy worker cannot end up with most of
    the connections; ``reuseport=False`` runs ``uvicorn --workers`` (one shared socket).
    """

    def __init__(
        self,
        target: AppTarget,
        *,
        workers: int = 1,
        port: int | None = None,
        loop: str = "asyncio",
        env: dict[str, str] | None = None,
        ready_path: str = "/health",
        startup_timeout_s: float = 90.0,
        log_path: Path | None = None,
        reuseport: bool = True,
    ) -> None:
        self.target = target
        self.reuseport = reuseport
        self.workers = workers
        self.port = port or free_port()
        self.loop = loop
        self.env = env or {}
        self.ready_path = ready_path
        self.startup_timeout_s = startup_timeout_s
        self.log_path = log_path
        self.proc: subprocess.Popen[bytes] | None = None
        self._tmp: tempfile.TemporaryDirectory[str] | None = None

    @property
    def url(self) -> str:
        """Base URL, e.g. ``http://127.0.0.1:41234``."""
        return f"http://127.0.0.1:{self.port}"

    def command(self) -> list[str]:
        """The server's command line (``stage5_api.serve`` or ``uvicorn``)."""
        per_worker_sockets = self.reuseport and self.workers > 1
        module = "stage5_api.serve" if per_worker_sockets else "uvicorn"
        cmd = [sys.executable, "-m", module, self.target.import_string]
        if self.target.app_dir is not None:
            cmd += ["--app-dir", str(self.target.app_dir)]
        cmd += ["--host", "127.0.0.1", "--port", str(self.port), "--loop", self.loop]
        cmd += ["--workers", str(self.workers), "--log-level", "warning"]
        cmd += ["--timeout-graceful-shutdown", "10", "--backlog", "4096"]
        return cmd if per_worker_sockets else [*cmd, "--no-access-log"]

    def start(self) -> UvicornServer:
        """Start and wait until ``ready_path`` answers 200 (raises with the log on failure)."""
        self._tmp = tempfile.TemporaryDirectory(prefix="stage5-metrics-")
        env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": self._tmp.name, **self.env}
        log = open(self.log_path, "ab") if self.log_path else subprocess.DEVNULL  # noqa: SIM115
        self.proc = subprocess.Popen(self.command(), env=env, stdout=log, stderr=log)
        try:
            wait_until_answers(
                self.url + self.ready_path, process=self.proc, timeout_s=self.startup_timeout_s
            )
        except ProcessStartError as exc:
            self.stop()
            tail = ""
            if self.log_path is not None and self.log_path.exists():
                tail = "; log tail: " + self.log_path.read_text(errors="replace")[-800:]
            raise ProcessStartError(
                f"the server did not become ready: {exc}; command: {' '.join(self.command())}"
                + tail,
                returncode=exc.returncode,
            ) from exc
        if self.reuseport and self.workers > 1:
            self._wait_for_listening_workers()
        return self

    def _wait_for_listening_workers(self) -> None:
        """With a socket per worker, /health answers as soon as one worker listens: wait for all."""
        assert self.proc is not None
        deadline = time.monotonic() + self.startup_timeout_s
        while self._listening_workers() < self.workers:
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise ProcessStartError(
                    f"only {self._listening_workers()} of {self.workers} workers listen on "
                    f"port {self.port}",
                    returncode=self.proc.returncode,
                )
            time.sleep(0.1)

    def _listening_workers(self) -> int:
        if self.proc is None:
            return 0
        try:
            children = psutil.Process(self.proc.pid).children()
        except psutil.Error:
            return 0
        count = 0
        for child in children:
            try:
                conns = child.net_connections("tcp")
            except psutil.Error:
                continue
            if any(c.status == "LISTEN" and c.laddr.port == self.port for c in conns):
                count += 1
        return count

    def cpu_seconds(self) -> float:
        """CPU seconds used so far by the server and its workers."""
        if self.proc is None:
            return 0.0
        try:
            root = psutil.Process(self.proc.pid)
            procs = [root, *root.children(recursive=True)]
        except psutil.Error:
            return 0.0
        total = 0.0
        for proc in procs:
            try:
                times = proc.cpu_times()
                total += times.user + times.system
            except psutil.Error:
                continue
        return total

    def stop(self, timeout_s: float = 15.0) -> int | None:
        """SIGTERM (graceful drain), SIGKILL to the whole tree if it lingers; the exit code."""
        code = stop_tree(self.proc, timeout_s=timeout_s) if self.proc is not None else None
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None
        return code

    def __enter__(self) -> UvicornServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
