"""The streaming probe: lines appended live to a file that the graded ``follow(path)`` tails.

In the child process, a writer thread (grader code) appends three combined-log lines every
0.1 s, stamped with the wall clock in +0900, and rotates the file once (``logrotate``: move,
then a new file) right after the first closed minute comes back. The graded generator runs in
another thread; each frame it yields is timestamped when it arrives. The probe ends when the
minute of the rotation has been emitted, or at the deadline. The criterion then compares each
emitted minute's count with what was written and its delay after the minute's end.
"""

from __future__ import annotations

import os
import queue
import threading
import time
from collections import Counter
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from gradekit.result import ErrorSource, Measurement
from gradekit.stages import GradeContext
from stage2_grading.shapes import ShapeError, minute_table

__all__ = ["live_line", "probe_follow"]

_KST = timezone(timedelta(hours=9))


def live_line(now: datetime, i: int) -> str:
    """One combined-log line stamped ``now`` (shown in +0900); one in 50 is a 503."""
    stamp = now.astimezone(_KST).strftime("%d/%b/%Y:%H:%M:%S +0900")
    status = 503 if i % 50 == 0 else 200
    return (
        f'198.51.100.{i % 200} - - [{stamp}] "GET /live/{i % 7} HTTP/1.1" {status} 512 '
        f'"-" "grader" 0.004\n'
    )


def _minute(now: datetime) -> int:
    return int(now.timestamp()) // 60 * 60


def _consume(module: Any, path: Path, out: queue.Queue[tuple[str, Any, float]]) -> None:
    """Run the graded generator; put ("frame", rows, time) per frame, then ("end"|"error", ...)."""
    where = "LogAnalyzer.follow"
    try:
        stream = module.LogAnalyzer(10000).follow(str(path))
        if stream is None:
            raise ShapeError(f"{where} returned None; it must be a generator of DataFrames")
        for frame in stream:
            at = time.time()
            table = minute_table(frame, where)
            rows = list(zip(table["minute"].tolist(), table["requests"].tolist(), strict=True))
            out.put(("frame", rows, at))
        out.put(("end", None, time.time()))
    except ShapeError as exc:
        out.put(("shape", str(exc), time.time()))
    except BaseException as exc:  # reported below with the graded code's frames
        out.put(("error", exc, time.time()))


def probe_follow(ctx: GradeContext, folder: str, duration_s: float) -> Measurement:
    """Drive ``follow`` live; details: written and emitted counts per minute, with delays."""
    module = ctx.load()
    base = Path(folder)
    base.mkdir(parents=True, exist_ok=True)
    log = base / "live.log"
    log.touch()
    events: queue.Queue[tuple[str, Any, float]] = queue.Queue()
    threading.Thread(target=_consume, args=(module, log, events), daemon=True).start()
    time.sleep(0.5)
    written: Counter[int] = Counter()
    emitted: dict[int, tuple[int, float]] = {}
    repeats: Counter[int] = Counter()
    rotated: int | None = None
    ended = ""
    deadline = time.monotonic() + duration_s
    i = 0
    while time.monotonic() < deadline:
        while not events.empty():
            what, payload, at = events.get()
            if what == "frame":
                for minute, requests in payload:
                    if minute in emitted:
                        repeats[minute] += 1
                    else:
                        emitted[minute] = (int(requests), at)
            elif what == "shape":
                return Measurement.failed(payload, source=ErrorSource.IMPLEMENTATION)
            elif what == "error":
                raise payload
            else:
                ended = "follow() returned (a follower must keep waiting for new lines)"
        if ended:
            break
        now = datetime.now(UTC)
        with log.open("a") as fh:
            for _ in range(3):
                fh.write(live_line(now, i))
                i += 1
        written[_minute(now)] += 3
        if rotated is None and any(m in written and m != _minute(now) for m in emitted):
            os.replace(log, log.with_name("live.log.1"))
            log.touch()
            rotated = _minute(datetime.now(UTC))
        if rotated is not None and rotated in emitted:
            break
        time.sleep(0.1)
    return Measurement(
        value=None,
        evidence="live run",
        details={
            "written": {str(m): n for m, n in written.items()},
            "emitted": {str(m): [n, at] for m, (n, at) in emitted.items()},
            "repeats": {str(m): n for m, n in repeats.items()},
            "rotated_minute": rotated,
            "ended": ended,
            "timeout_s": duration_s,
        },
    )
