"""Child-process helpers against real processes: a stdlib HTTP server, crashes, stubborn trees."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
from pathlib import Path

import psutil
import pytest

from opskit.processes import (
    ProcessStartError,
    free_port,
    kill_tree,
    stop_tree,
    wait_until_answers,
)


def _spawn(code: str, **kwargs: object) -> subprocess.Popen[bytes]:
    """A Python child with its stdout piped; use it in ``with`` so the pipe gets closed."""
    return subprocess.Popen(  # type: ignore[call-overload,no-any-return]
        [sys.executable, "-c", code], stdout=subprocess.PIPE, **kwargs
    )


def test_free_port_can_be_bound() -> None:
    port = free_port()
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", port))


def test_waits_for_a_real_server_then_stops_it(tmp_path: Path) -> None:
    port = free_port()
    args = [sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1"]
    server = subprocess.Popen(
        [*args, "--directory", str(tmp_path)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_until_answers(f"http://127.0.0.1:{port}/", process=server, timeout_s=60)
    finally:
        code = stop_tree(server, timeout_s=10)
    assert code is not None and server.poll() is not None


def test_a_server_that_crashes_fails_at_once_with_its_exit_code() -> None:
    with (
        _spawn("raise SystemExit(3)") as crashing,
        pytest.raises(ProcessStartError, match="exited with code 3") as info,
    ):
        wait_until_answers(f"http://127.0.0.1:{free_port()}/", process=crashing, timeout_s=600)
    assert info.value.returncode == 3


def test_nobody_answering_times_out_naming_the_url() -> None:
    url = f"http://127.0.0.1:{free_port()}/health"
    with pytest.raises(ProcessStartError, match="did not answer 200") as info:
        wait_until_answers(url, timeout_s=0.3, interval_s=0.1)
    assert url in str(info.value) and info.value.returncode is None


_PARENT_WITH_CHILD = """
import subprocess, sys, time
child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])
print(child.pid, flush=True)
time.sleep(120)
"""


def test_kill_tree_kills_the_children_too() -> None:
    with _spawn(_PARENT_WITH_CHILD) as parent:
        assert parent.stdout is not None
        child = psutil.Process(int(parent.stdout.readline()))
        kill_tree(parent.pid)
        assert parent.wait(30) == -signal.SIGKILL
    child.wait(30)  # raises TimeoutExpired if the child survived
    assert not child.is_running()


_IGNORES_SIGTERM = """
import signal, time
signal.signal(signal.SIGTERM, signal.SIG_IGN)
print("ready", flush=True)
time.sleep(120)
"""


def test_stop_tree_escalates_to_sigkill_for_a_group_that_ignores_sigterm() -> None:
    with _spawn(_IGNORES_SIGTERM, start_new_session=True) as stubborn:
        assert stubborn.stdout is not None and stubborn.stdout.readline().strip() == b"ready"
        assert stop_tree(stubborn, timeout_s=0.5, group=True) == -signal.SIGKILL


def test_stop_tree_lets_a_graceful_process_exit_by_itself() -> None:
    code = (
        "import signal, sys, time\n"
        "signal.signal(signal.SIGTERM, lambda *a: sys.exit(0))\n"
        "print('ready', flush=True)\ntime.sleep(120)"
    )
    with _spawn(code) as graceful:
        assert graceful.stdout is not None and graceful.stdout.readline().strip() == b"ready"
        assert stop_tree(graceful, timeout_s=30) == 0
