"""One-shot faults armed from outside the process ("kill the load of this day once").

A fault is an empty file ``<chaos_dir>/<point>-<day>``. The pipeline calls :func:`maybe_crash`
at a point; if the file exists it is removed and :class:`SimulatedCrash` raised, so the first
attempt dies mid-step and the retry runs clean. Files work across processes, so the same trick
works with a real Airflow worker, a Prefect worker or the grader.
"""

from __future__ import annotations

import json
import os
import socket
import time
from datetime import date
from pathlib import Path

from stage4_pipelines.errors import SimulatedCrash

__all__ = ["arm_crash", "arm_pause", "maybe_crash", "maybe_pause"]


def arm_crash(chaos_dir: Path, point: str, day: date) -> Path:
    """Arm a one-shot crash at ``point`` (e.g. ``"load"``) for ``day``."""
    path = Path(chaos_dir) / f"{point}-{day.isoformat()}"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.touch()
    return path


def maybe_crash(chaos_dir: Path | None, point: str, day: date) -> None:
    """Raise SimulatedCrash once if a crash is armed at ``point`` for ``day``."""
    if chaos_dir is None:
        return
    path = Path(chaos_dir) / f"{point}-{day.isoformat()}"
    try:
        path.unlink()
    except FileNotFoundError:
        return
    raise SimulatedCrash(f"injected crash at {point} for {day} (armed by {path})", step=point)


def arm_pause(chaos_dir: Path, point: str, day: date, seconds: float) -> Path:
    """Arm a one-shot pause at ``point`` for ``day``: a window to kill the worker mid-step."""
    path = Path(chaos_dir) / f"pause-{point}-{day.isoformat()}"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(str(seconds))
    return path


def maybe_pause(chaos_dir: Path | None, point: str, day: date) -> None:
    """Sleep once if a pause is armed, after writing ``paused-<point>-<day>.json`` (who paused:
    host, worker name and pid), so a test knows which worker to kill."""
    if chaos_dir is None:
        return
    path = Path(chaos_dir) / f"pause-{point}-{day.isoformat()}"
    try:
        seconds = float(path.read_text() or 0)
        path.unlink()
    except FileNotFoundError:
        return
    who = {
        "host": socket.gethostname(),
        "worker": os.environ.get("STAGE4_WORKER_NAME", ""),
        "pid": os.getpid(),
        "pgid": os.getpgid(0),
    }
    (Path(chaos_dir) / f"paused-{point}-{day.isoformat()}.json").write_text(json.dumps(who))
    time.sleep(seconds)
