"""Run a server command as a child process on a free loopback port, and stop it cleanly.

:class:`ServerProcess` runs any command line (the learner's ``uvicorn``/``gunicorn`` command
from their Dockerfile, or ours) with a private ``PROMETHEUS_MULTIPROC_DIR``, waits until a
path answers 200, and stops the whole process tree. :class:`UvicornServer` builds the command
for an ``module:app`` target (the benchmark and the product's tests use it). Ports, readiness
and stopping come from ``opskit.processes``.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from types import TracebackType

import psutil

from opskit.processes import ProcessStartError, free_port, stop_tree

__all__ = [
    "AppTarget",
    "ServerProcess",
    "StartTimeout",
    "UvicornServer",
    "free_port",
    "http_status",
]

# A server whose processes waited more than this share of its start-up for a CPU was starved
# by its neighbours: not being ready in time then says nothing about the server.
STARVED_SHARE = 0.25


class StartTimeout(ProcessStartError):
    """The server was still running but not ready in time; ``starved`` says whether the machine
    kept it from running (its processes waited for a CPU) rather than the server itself."""

    def __init__(self, message: str, *, starved: bool) -> None:
        super().__init__(message)
        self.starved = starved


def _runqueue_wait(pids: list[int]) -> float:
    """Seconds the threads of ``pids`` waited for a CPU so far (``/proc/*/schedstat``)."""
    total = 0
    for pid in pids:
        try:
            tasks = list(Path(f"/proc/{pid}/task").iterdir())
        except OSError:
            continue
        for task in tasks:
            try:
                total += int((task / "schedstat").read_text().split()[1])
            except (OSError, IndexError, ValueError):
                continue
    return total / 1e9


def http_status(url: str, timeout_s: float = 2.0) -> int | None:
    """The status of ``GET url``, or None when nothing answered."""
    try:
        with urllib.request.urlopen(url, timeout=timeout_s) as response:
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)
    except (urllib.error.URLError, OSError, ValueError):
        return None


class AppTarget:
    """How uvicorn finds an app: ``module:attr`` plus an optional folder for ``--app-dir``."""

    def __init__(self, import_string: str, app_dir: Path | None = None) -> None:
        self.import_string = import_string
        self.app_dir = app_dir

    def __repr__(self) -> str:
        return f"AppTarget({self.import_string!r}, app_dir={self.app_dir})"


class ServerProcess:
    """``with ServerProcess(argv, port=p) as server: ... server.url``.

    ``argv`` must already listen on ``port`` (127.0.0.1). The server gets its own empty
    ``PROMETHEUS_MULTIPROC_DIR`` so a multi-process app can sum its workers' metrics, and is
    stopped with SIGTERM (uvicorn and gunicorn drain in-flight requests), then SIGKILL.

    Ready means: the first of ``ready_paths`` that the app has (answers other than 404)
    answers 200 — ``/ready`` before ``/health`` lets an app say "not yet, the model is still
    loading"; an app with none of them is ready once it answers at all (``ready_path_used``
    is then None). ``listeners`` > 1 also waits until that many processes listen on the port
    (one socket per worker), since the ready path answers as soon as the first one does.
    """

    def __init__(
        self,
        argv: list[str],
        *,
        port: int,
        cwd: Path | None = None,
        env: dict[str, str] | None = None,
        ready_paths: tuple[str, ...] = ("/health",),
        startup_timeout_s: float = 180.0,
        log_path: Path | None = None,
        listeners: int = 1,
    ) -> None:
        self.argv = argv
        self.port = port
        self.cwd = cwd
        self.env = env or {}
        self.ready_paths = ready_paths
        self.ready_path_used: str | None = None
        self.startup_timeout_s = startup_timeout_s
        self.log_path = log_path
        self.listeners = listeners
        self.proc: subprocess.Popen[bytes] | None = None
        self._tmp: tempfile.TemporaryDirectory[str] | None = None

    @property
    def url(self) -> str:
        """Base URL, e.g. ``http://127.0.0.1:41234``."""
        return f"http://127.0.0.1:{self.port}"

    def command(self) -> list[str]:
        """The server's command line."""
        return self.argv

    def start(self) -> ServerProcess:
        """Start and wait until ``ready_path`` answers 200 (raises with the log tail if not)."""
        self._tmp = tempfile.TemporaryDirectory(prefix="stage5-metrics-")
        env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": self._tmp.name, **self.env}
        venv_bin = str(Path(sys.executable).parent)
        env["PATH"] = venv_bin + os.pathsep + env.get("PATH", "")
        log = open(self.log_path, "ab") if self.log_path else None  # noqa: SIM115
        try:
            self.proc = subprocess.Popen(
                self.command(),
                env=env,
                cwd=self.cwd,
                stdout=log or subprocess.DEVNULL,
                stderr=log or subprocess.DEVNULL,
                stdin=subprocess.DEVNULL,
            )
        except OSError as exc:
            raise ProcessStartError(f"cannot run {self.command()[0]!r}: {exc}") from exc
        finally:
            if log is not None:
                log.close()
        try:
            self.ready_path_used = self._wait_ready()
            if self.listeners > 1:
                self._wait_for_listeners()
        except StartTimeout as exc:
            self.stop()
            raise StartTimeout(
                f"the server did not become ready: {exc}; command: {' '.join(self.command())}"
                + self.log_tail(),
                starved=exc.starved,
            ) from exc
        except ProcessStartError as exc:
            self.stop()
            raise ProcessStartError(
                f"the server did not become ready: {exc}; command: {' '.join(self.command())}"
                + self.log_tail(),
                returncode=exc.returncode,
            ) from exc
        return self

    def _wait_ready(self) -> str | None:
        assert self.proc is not None
        started = time.monotonic()
        deadline = started + self.startup_timeout_s
        last: dict[str, int | None] = {}
        while True:
            if self.proc.poll() is not None:
                raise ProcessStartError(
                    f"{Path(str(self.command()[0])).name} exited with code "
                    f"{self.proc.returncode} before it answered on port {self.port}",
                    returncode=self.proc.returncode,
                )
            for path in self.ready_paths:
                status = last[path] = http_status(self.url + path)
                if status == 200:
                    return path
                if status != 404:
                    break  # not answering yet, or "not ready" (503): keep waiting
            else:
                return None  # answers, but has none of the ready paths
            if time.monotonic() >= deadline:
                said = ", ".join(
                    f"{p} → {s if s is not None else 'no answer'}" for p, s in last.items()
                )
                wait = _runqueue_wait(self.pids())
                elapsed = time.monotonic() - started
                raise StartTimeout(
                    f"not ready within {self.startup_timeout_s:g} s (last answers: {said}; its "
                    f"processes waited {wait:.0f} s for a CPU)",
                    starved=wait > STARVED_SHARE * elapsed,
                )
            time.sleep(0.2)

    def log_tail(self, chars: int = 800) -> str:
        """``; log tail: ...`` from the server's log, or nothing."""
        if self.log_path is None or not self.log_path.exists():
            return ""
        text = self.log_path.read_text(encoding="utf-8", errors="replace").strip()
        return f"; log tail: {text[-chars:]}" if text else ""

    def _wait_for_listeners(self) -> None:
        assert self.proc is not None
        started = time.monotonic()
        deadline = started + self.startup_timeout_s
        while self.listening_processes() < self.listeners:
            message = (
                f"only {self.listening_processes()} of {self.listeners} workers listen on "
                f"port {self.port}"
            )
            if self.proc.poll() is not None:
                raise ProcessStartError(message, returncode=self.proc.returncode)
            if time.monotonic() > deadline:
                wait = _runqueue_wait(self.pids())
                raise StartTimeout(
                    message, starved=wait > STARVED_SHARE * (time.monotonic() - started)
                )
            time.sleep(0.1)

    def processes(self) -> list[psutil.Process]:
        """The server's process and every descendant (workers), alive right now."""
        if self.proc is None:
            return []
        try:
            root = psutil.Process(self.proc.pid)
            return [root, *root.children(recursive=True)]
        except psutil.Error:
            return []

    def listening_processes(self) -> int:
        """How many of the server's workers listen on its port (the process itself if it has
        no workers: a parent that only hands sockets to its workers is not counted)."""
        procs = self.processes()
        count = 0
        for proc in procs[1:] or procs:
            try:
                conns = proc.net_connections("tcp")
            except psutil.Error:
                continue
            if any(c.status == "LISTEN" and c.laddr.port == self.port for c in conns):
                count += 1
        return count

    def pids(self) -> list[int]:
        """Process ids of the server tree."""
        return [p.pid for p in self.processes()]

    def cpu_seconds(self) -> float:
        """CPU seconds used so far by the server and its workers."""
        total = 0.0
        for proc in self.processes():
            try:
                times = proc.cpu_times()
                total += times.user + times.system
            except psutil.Error:
                continue
        return total

    def running(self) -> bool:
        """True while the server's main process has not exited."""
        return self.proc is not None and self.proc.poll() is None

    def stop(self, timeout_s: float = 15.0) -> int | None:
        """SIGTERM (graceful drain), SIGKILL to the whole tree if it lingers; the exit code."""
        code = stop_tree(self.proc, timeout_s=timeout_s) if self.proc is not None else None
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None
        return code

    def __enter__(self) -> ServerProcess:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


class UvicornServer(ServerProcess):
    """``with UvicornServer(target, workers=2) as server: ... server.url``.

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
        startup_timeout_s: float = 180.0,
        log_path: Path | None = None,
        reuseport: bool = True,
    ) -> None:
        self.target = target
        self.reuseport = reuseport
        self.workers = workers
        self.loop = loop
        per_worker_sockets = reuseport and workers > 1
        super().__init__(
            [],
            port=port or free_port(),
            env=env,
            ready_paths=(ready_path,),
            startup_timeout_s=startup_timeout_s,
            log_path=log_path,
            listeners=workers if per_worker_sockets else 1,
        )
        self.argv = self._argv()

    def _argv(self) -> list[str]:
        per_worker_sockets = self.reuseport and self.workers > 1
        module = "stage5_api.serve" if per_worker_sockets else "uvicorn"
        cmd = [sys.executable, "-m", module, self.target.import_string]
        if self.target.app_dir is not None:
            cmd += ["--app-dir", str(self.target.app_dir)]
        cmd += ["--host", "127.0.0.1", "--port", str(self.port), "--loop", self.loop]
        cmd += ["--workers", str(self.workers), "--log-level", "warning"]
        cmd += ["--timeout-graceful-shutdown", "10", "--backlog", "4096"]
        return cmd if per_worker_sockets else [*cmd, "--no-access-log"]
