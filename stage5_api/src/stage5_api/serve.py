"""Run an ASGI app in N worker processes, each accepting on its own SO_REUSEPORT socket.

``uvicorn --workers N`` shares one listening socket between its workers, and whichever worker
is awake takes every connection waiting in the queue (asyncio accepts up to ``backlog`` in one
go). Measured under wrk's burst of 1000 connections (README, "The tail with 1000 in flight"):
splits such as 31/969 when one worker was in a GC pause, and that worker's connections then
wait on one core while the other idles. With ``SO_REUSEPORT`` every worker has its own socket
and the kernel spreads new connections over them by hash, as nginx's ``reuseport`` does.

    python -m stage5_api.serve stage5_api.main:app --port 8000 --workers 2

The parent binds the N sockets (so the port is taken before any worker starts), passes one to
each worker process, which listens on it once its app has started; forwards SIGTERM/SIGINT to
them (uvicorn drains in-flight requests) and exits when they have.

A worker that dies (``kill -9``, the OOM killer) is replaced on a new socket while the others
keep serving: the kernel sends new connections only to listening sockets, so until the new
worker listens they all go to the live ones. A worker that keeps dying (``--max-restarts``
deaths within ``--restart-window`` seconds: an app that cannot start) stops the server with
exit code 1, so the orchestrator sees the failure instead of a restart loop. Batch jobs the
dead worker was running are marked failed by the next reader (``services/jobs.py``).

Each worker's HTTP protocol closes connections whose request is not read within
``--request-read-timeout`` seconds (``http_timeouts.py``: slow-header clients).
"""

from __future__ import annotations

import argparse
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from types import FrameType

from stage5_api.http_timeouts import DEFAULT_READ_TIMEOUT_S, with_read_timeout

__all__ = ["bind_reuseport", "main"]


def bind_reuseport(host: str, port: int) -> socket.socket:
    """A bound, not yet listening TCP socket with SO_REUSEPORT (Linux ≥ 3.9), inheritable.

    Not listening on purpose: the kernel sends connections only to listening sockets, and
    uvicorn calls ``listen()`` once the worker's app has started (lifespan done, model loaded),
    so a worker still starting gets no connections to sit on.
    """
    if not hasattr(socket, "SO_REUSEPORT"):
        raise OSError("SO_REUSEPORT is not available on this platform: use uvicorn --workers")
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    sock.set_inheritable(True)
    return sock


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m stage5_api.serve", description=__doc__)
    p.add_argument("app", help="module:attribute of the ASGI app")
    p.add_argument("--app-dir", default=None, help="folder to put first on sys.path")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--loop", default="asyncio", choices=["asyncio", "uvloop", "auto"])
    p.add_argument("--backlog", type=int, default=4096)
    p.add_argument("--timeout-graceful-shutdown", type=int, default=10)
    p.add_argument("--log-level", default="warning")
    p.add_argument(
        "--request-read-timeout",
        type=float,
        default=DEFAULT_READ_TIMEOUT_S,
        help="seconds a client has to send a whole request (408 and close after)",
    )
    p.add_argument(
        "--max-restarts",
        type=int,
        default=5,
        help="dead workers replaced within --restart-window seconds before the server gives up",
    )
    p.add_argument("--restart-window", type=float, default=60.0)
    p.add_argument("--worker-fd", type=int, default=None, help=argparse.SUPPRESS)
    return p


def _run_worker(args: argparse.Namespace) -> None:
    import uvicorn

    if args.app_dir:
        sys.path.insert(0, args.app_dir)
    sock = socket.socket(fileno=args.worker_fd)
    config = uvicorn.Config(
        args.app,
        loop=args.loop,
        log_level=args.log_level,
        access_log=False,
        backlog=args.backlog,
        timeout_graceful_shutdown=args.timeout_graceful_shutdown,
        http=with_read_timeout(args.request_read_timeout),
    )
    uvicorn.Server(config).run(sockets=[sock])


def _worker_command(args: argparse.Namespace, fd: int) -> list[str]:
    cmd = [sys.executable, "-m", "stage5_api.serve", args.app, "--worker-fd", str(fd)]
    if args.app_dir:
        cmd += ["--app-dir", args.app_dir]
    cmd += ["--loop", args.loop, "--backlog", str(args.backlog), "--log-level", args.log_level]
    cmd += ["--timeout-graceful-shutdown", str(args.timeout_graceful_shutdown)]
    cmd += ["--request-read-timeout", str(args.request_read_timeout)]
    return cmd


@dataclass
class _Supervisor:
    """Keeps ``--workers`` workers running, each on its own SO_REUSEPORT socket."""

    args: argparse.Namespace
    workers: list[subprocess.Popen[bytes]] = field(default_factory=list)
    deaths: list[float] = field(default_factory=list)
    stopping: bool = False

    def spawn(self) -> subprocess.Popen[bytes]:
        sock = bind_reuseport(self.args.host, self.args.port)
        try:
            cmd = _worker_command(self.args, sock.fileno())
            return subprocess.Popen(cmd, pass_fds=[sock.fileno()])
        finally:
            sock.close()  # the worker holds its own copy; when it dies, the socket goes with it

    def stop_all(self, signum: int = signal.SIGTERM) -> None:
        self.stopping = True
        for w in self.workers:
            if w.poll() is None:
                w.send_signal(signum)

    def replace_dead(self) -> bool:
        """Start a new worker for each dead one; False when they die too often to go on."""
        for i, w in enumerate(self.workers):
            if w.poll() is None or self.stopping:
                continue
            now = time.monotonic()
            self.deaths = [t for t in self.deaths if now - t < self.args.restart_window] + [now]
            if len(self.deaths) > self.args.max_restarts:
                print(
                    f"stage5_api.serve: {len(self.deaths)} worker deaths within "
                    f"{self.args.restart_window:.0f} s (last: pid {w.pid}, code {w.returncode}); "
                    "stopping",
                    file=sys.stderr,
                )
                return False
            self.workers[i] = self.spawn()
            print(
                f"stage5_api.serve: worker pid {w.pid} exited with code {w.returncode}; "
                f"started pid {self.workers[i].pid} in its place",
                file=sys.stderr,
            )
        return True


def _supervise(args: argparse.Namespace) -> int:
    if args.workers < 1:
        raise SystemExit(f"--workers {args.workers}: need at least 1")
    sup = _Supervisor(args)
    sup.workers = [sup.spawn() for _ in range(args.workers)]

    def forward(signum: int, frame: FrameType | None) -> None:
        sup.stop_all(signal.SIGTERM)

    signal.signal(signal.SIGTERM, forward)
    signal.signal(signal.SIGINT, forward)
    while any(w.poll() is None for w in sup.workers) or not sup.stopping:
        if not sup.stopping and not sup.replace_dead():
            sup.stop_all()
            for w in sup.workers:
                w.wait()
            return 1
        time.sleep(0.2)
    # uvicorn re-raises the signal it drained on, so a clean worker ends with -SIGTERM/-SIGINT
    clean = (0, -signal.SIGTERM, -signal.SIGINT)
    return 0 if all(w.returncode in clean for w in sup.workers) else 1


def main(argv: list[str] | None = None) -> int:
    """Supervise ``--workers`` workers, or (with the internal ``--worker-fd``) be one."""
    args = _parser().parse_args(argv)
    if args.worker_fd is not None:
        _run_worker(args)
        return 0
    return _supervise(args)


if __name__ == "__main__":
    sys.exit(main())
