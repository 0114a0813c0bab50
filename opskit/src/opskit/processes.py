"""Child servers for graders and benchmarks: free ports, readiness, stopping whole trees.

Every stage starts servers (uvicorn, mlflow, nginx) as child processes on loopback. Three
things go wrong the same way each time, so they live here once: two runs picking the same port
(ask the OS for a free one), polling a server that already died (check the process while
waiting, so a crash fails in a second with its exit code instead of after the timeout), and
orphaned workers (signal the whole tree, not only the parent).
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request

import psutil

__all__ = ["ProcessStartError", "free_port", "kill_tree", "stop_tree", "wait_until_answers"]


class ProcessStartError(RuntimeError):
    """Raised when a started server exits, or does not answer, before it is ready.

    ``returncode`` is the exit code when the process exited, else ``None`` (it timed out).
    """

    def __init__(self, message: str, *, returncode: int | None = None) -> None:
        super().__init__(message)
        self.returncode = returncode


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port the OS says is free right now (bind port 0, read it, release it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def _status_of(url: str, timeout_s: float) -> int | None:
    try:
        with urllib.request.urlopen(url, timeout=timeout_s) as response:
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)
    except (urllib.error.URLError, OSError):
        return None


def wait_until_answers(
    url: str,
    *,
    process: subprocess.Popen[bytes] | None = None,
    timeout_s: float = 60.0,
    interval_s: float = 0.2,
    status: int = 200,
) -> None:
    """Poll ``GET url`` until it answers ``status``.

    Raises ProcessStartError at once if ``process`` exits meanwhile (with its exit code), or
    after ``timeout_s`` seconds without the expected answer.
    """
    deadline = time.monotonic() + timeout_s
    last: int | None = None
    while True:
        if process is not None and process.poll() is not None:
            raise ProcessStartError(
                f"{_name(process)} exited with code {process.returncode} before {url} answered",
                returncode=process.returncode,
            )
        last = _status_of(url, timeout_s=min(2.0, max(interval_s, 0.5)))
        if last == status:
            return
        if time.monotonic() >= deadline:
            answer = f"last answer {last}" if last is not None else "no answer"
            raise ProcessStartError(
                f"{url} did not answer {status} within {timeout_s:g} s ({answer})"
            )
        time.sleep(interval_s)


def _name(process: subprocess.Popen[bytes]) -> str:
    args = process.args
    first = args[0] if isinstance(args, list | tuple) and args else args
    return os.path.basename(str(first))


def kill_tree(pid: int, sig: int = signal.SIGKILL) -> None:
    """Send ``sig`` to ``pid``'s descendants, then to ``pid`` (processes already gone are fine).

    Children first: a parent killed first can no longer be asked for its children, and uvicorn
    or mlflow workers would be left running with the port.
    """
    try:
        root = psutil.Process(pid)
        children = root.children(recursive=True)
    except psutil.NoSuchProcess:
        return
    for proc in [*children, root]:
        try:
            proc.send_signal(sig)
        except psutil.NoSuchProcess:
            continue


def stop_tree(
    process: subprocess.Popen[bytes], *, timeout_s: float = 10.0, group: bool = False
) -> int:
    """SIGTERM, wait up to ``timeout_s`` for a graceful exit, then SIGKILL the whole tree.

    ``group=True`` sends SIGTERM to the process group (for a child started with
    ``start_new_session=True`` whose workers also need the signal); otherwise only the parent
    gets it, as uvicorn expects (it drains its workers itself). Returns the exit code.
    """
    if process.poll() is not None:
        return process.returncode
    try:
        if group:
            os.killpg(process.pid, signal.SIGTERM)
        else:
            process.send_signal(signal.SIGTERM)
        return process.wait(timeout_s)
    except ProcessLookupError:
        return process.wait()
    except subprocess.TimeoutExpired:
        kill_tree(process.pid)
        if group:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
        return process.wait()
