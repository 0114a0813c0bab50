"""Background processes with pid files: start, stop (the whole process group), and wait.

Each service runs in its own session, so stopping it (or killing a worker mid-task) takes its
children too: Celery's pool, Airflow's task supervisor, a Prefect flow-run process.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

__all__ = ["alive", "ensure_database", "pid_of", "run_command", "start", "stop", "wait_until"]

# Services this process started: held so their Popen objects are not collected while they run
# (a collected Popen of a live child warns), and reaped when stopped (no zombie left behind).
_started: dict[int, subprocess.Popen[bytes]] = {}


def ensure_database(postgres: str, name: str) -> None:
    """Create PostgreSQL database ``name`` on server ``postgres`` (a URL without a database).

    Each service keeps its state in a database of its own (Airflow's metadata, Prefect's
    server, the warehouse), which must exist before the service migrates into it.
    """
    import psycopg

    with psycopg.connect(f"{postgres}/postgres", autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


def run_command(argv: Sequence[str], env: Mapping[str, str], timeout_s: float) -> str:
    """Run an engine's CLI command (``airflow ...``, ``prefect ...``) to its end; its stdout.

    A failure raises ``CalledProcessError`` carrying stdout and stderr, so the caller's error
    shows what the engine said.
    """
    done = subprocess.run(
        list(argv), env=dict(env), capture_output=True, text=True, timeout=timeout_s, check=False
    )
    if done.returncode != 0:
        raise subprocess.CalledProcessError(done.returncode, done.args, done.stdout, done.stderr)
    return done.stdout


def _pid_file(run_dir: Path, name: str) -> Path:
    return Path(run_dir) / f"{name}.pid"


def pid_of(run_dir: Path, name: str) -> int | None:
    """The pid of service ``name`` if its pid file names a live process."""
    try:
        pid = int(_pid_file(run_dir, name).read_text())
    except (FileNotFoundError, ValueError):
        return None
    return pid if alive(pid) else None


def alive(pid: int) -> bool:
    """True while ``pid`` runs (a zombie counts as gone)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        return "Z" not in Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0]
    except OSError:
        return True


def start(run_dir: Path, name: str, argv: Sequence[str], env: Mapping[str, str]) -> int:
    """Start ``argv`` as service ``name`` (log in ``run_dir/<name>.log``), unless it runs."""
    run_dir = Path(run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    if (pid := pid_of(run_dir, name)) is not None:
        return pid
    with open(run_dir / f"{name}.log", "ab") as log:
        proc = subprocess.Popen(
            list(argv),
            env=dict(env),
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    _pid_file(run_dir, name).write_text(str(proc.pid))
    _started[proc.pid] = proc
    return proc.pid


def stop(run_dir: Path, name: str, *, grace_s: float = 20.0, sig: int = signal.SIGTERM) -> bool:
    """Signal service ``name``'s process group, then SIGKILL it after ``grace_s``."""
    pid = pid_of(run_dir, name)
    if pid is None:  # gone already (killed from outside): reap it if it was ours
        with contextlib.suppress(FileNotFoundError, ValueError):
            if (proc := _started.pop(int(_pid_file(run_dir, name).read_text()), None)) is not None:
                proc.wait()
        _pid_file(run_dir, name).unlink(missing_ok=True)
        return False
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, sig)
    deadline = time.monotonic() + grace_s
    while alive(pid) and time.monotonic() < deadline:
        time.sleep(0.2)
    with contextlib.suppress(ProcessLookupError):  # what is left: the service or its children
        os.killpg(pid, signal.SIGKILL)
    if (proc := _started.pop(pid, None)) is not None:
        proc.wait()
    _pid_file(run_dir, name).unlink(missing_ok=True)
    return True


def wait_until(check: Callable[[], bool], *, timeout_s: float, what: str) -> None:
    """Poll ``check`` every second until it holds; TimeoutError naming ``what`` otherwise."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            if check():
                return
        except Exception:  # not up yet: connection refused, table missing, ...
            pass
        time.sleep(1.0)
    raise TimeoutError(f"{what}: not ready after {timeout_s:.0f} s")
