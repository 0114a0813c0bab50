"""Problem 2's generated logs with known truth: small tricky cases and one large file.

Line format: ``<YYYY-MM-DDTHH:MM:SSZ> <LEVEL> <service> <latency_ms> <message...>``; a line
is an error when its LEVEL field is exactly ``ERROR``. The generator keeps, per hour, the count,
the latency sum and the maximum of the well-formed ERROR lines it wrote: that is the truth.
"""

from __future__ import annotations

import fcntl
import json
import os
import random
import tempfile
import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from gradekit import write_atomic

__all__ = ["HourTruth", "LargeLog", "LogCase", "log_cases", "write_large_log"]

SERVICES = ("checkout-api", "payment-api", "search", "auth")
MESSAGES = (
    "GET /api/v1/orders completed",
    "cache miss for key user:42",
    "upstream call finished",
    "POST /api/v1/payments accepted",
)
ERROR_MESSAGES = (
    "connection refused by db-primary",
    "timeout after 3 retries",
    "HTTP 503 upstream",
)
TRAP_MESSAGES = (  # non-error lines whose text mentions ERROR: a substring filter miscounts them
    "recovered after ERROR 503 from upstream",
    "ERROR budget at 80% for this week",
    "retrying: previous attempt logged ERROR",
)
START = datetime(2026, 3, 1, 9, 0, 0)


@dataclass
class HourTruth:
    """Aggregates of the well-formed ERROR lines of one hour."""

    count: int = 0
    latency_sum: int = 0
    latency_max: int = 0

    def add(self, latency: int) -> None:
        """Count one more ERROR line with this latency."""
        self.count += 1
        self.latency_sum += latency
        self.latency_max = max(self.latency_max, latency)

    @property
    def mean(self) -> float:
        """Mean latency of the hour's ERROR lines."""
        return self.latency_sum / self.count


@dataclass
class LogCase:
    """One small log file and its truth, by hour."""

    name: str
    lines: list[str] = field(default_factory=list)
    truth: dict[datetime, HourTruth] = field(default_factory=dict)
    trailing_newline: bool = True

    def error(self, when: datetime, latency: int, service: str = "payment-api") -> None:
        """Append a well-formed ERROR line and count it in the truth."""
        self.lines.append(_line(when, "ERROR", service, latency, ERROR_MESSAGES[latency % 3]))
        self.truth.setdefault(when.replace(minute=0, second=0), HourTruth()).add(latency)

    def other(self, text: str) -> None:
        """Append a line that is not counted (another level, or malformed)."""
        self.lines.append(text)

    @property
    def total(self) -> int:
        """Number of counted ERROR lines."""
        return sum(t.count for t in self.truth.values())

    def rows(self) -> list[tuple[datetime, int, float, int]]:
        """The expected result rows, sorted by hour."""
        return [(h, t.count, t.mean, t.latency_max) for h, t in sorted(self.truth.items())]

    def write(self, folder: Path) -> Path:
        """Write the log file and return its path."""
        path = folder / f"{self.name}.log"
        text = "\n".join(self.lines) + ("\n" if self.trailing_newline else "")
        path.write_text(text, encoding="utf-8", newline="")
        return path


def _line(when: datetime, level: str, service: str, latency: int, message: str) -> str:
    return f"{when:%Y-%m-%dT%H:%M:%SZ} {level} {service} {latency} {message}"


def _random_log(
    name: str, rng: random.Random, hours: int, per_hour: int, error_share: float, traps: bool
) -> LogCase:
    case = LogCase(name)
    for hour in range(hours):
        offsets = sorted(rng.randrange(3600) for _ in range(per_hour))
        for offset in offsets:
            when = START + timedelta(hours=hour, seconds=offset)
            latency = rng.randint(1, 2000)
            if rng.random() < error_share:
                case.error(when, latency, rng.choice(SERVICES))
                continue
            level = rng.choice(("DEBUG", "INFO", "INFO", "WARNING"))
            if traps and rng.random() < 0.5:
                case.other(_line(when, level, "error-reporter", latency, rng.choice(TRAP_MESSAGES)))
            else:
                case.other(_line(when, level, rng.choice(SERVICES), latency, rng.choice(MESSAGES)))
    return case


def _boundaries() -> LogCase:
    case = LogCase("boundaries")
    day = datetime(2026, 3, 1)
    stamps = [
        day.replace(hour=13, minute=59, second=59),
        day.replace(hour=14),
        day.replace(hour=14, minute=30),
        day.replace(hour=14, minute=59, second=59),
        day.replace(hour=15),
        day.replace(hour=23, minute=59, second=59),
        day + timedelta(days=1),
        day + timedelta(days=1, seconds=1),
        day + timedelta(days=2, hours=14, minutes=10),  # same hour of day, another date
    ]
    for i, when in enumerate(stamps):
        case.other(_line(when, "INFO", "search", 10 + i, "GET /search ok"))
        case.error(when, 100 + 7 * i)
    return case


def _malformed(rng: random.Random) -> LogCase:
    case = _random_log("malformed", rng, hours=3, per_hour=30, error_share=0.4, traps=False)
    bad = [
        "",
        "   ",
        "2026-03-01T10:00:00Z ERROR",
        "2026-03-01T10:00:00Z ERROR payment-api",
        "2026-03-01T25:10:00Z ERROR payment-api 12 impossible hour",
        "2026-02-30T10:00:00Z ERROR payment-api 12 no such day",
        "yesterday ERROR payment-api 12 not a timestamp",
        "2026-03-01T10:00:00Z ERROR payment-api 12.5 latency is not an integer",
        "2026-03-01T10:00:00Z ERROR payment-api -3 negative latency",
        "2026-03-01T10:00:00Z ERROR payment-api abc latency is text",
        "\x00\x00 binary garbage \x7f",
    ]
    for i, text in enumerate(bad):
        case.lines.insert(7 * i + 3, text)
    case.trailing_newline = False
    return case


def _hours_out_of_order(case: LogCase, order: tuple[int, ...]) -> LogCase:
    """The same lines as two servers' logs appended: each hour's first half in ``order``,
    then each hour's second half. The file is not sorted and every hour comes back later; the
    result must be sorted, one row per hour."""
    blocks: dict[str, list[str]] = {}
    for line in case.lines:
        blocks.setdefault(line[:13], []).append(line)
    halves = [blocks[key] for key in blocks]
    case.lines = [line for i in order for line in halves[i][: len(halves[i]) // 2]]
    case.lines += [line for i in order for line in halves[i][len(halves[i]) // 2 :]]
    return case


def log_cases(seed: int) -> dict[str, LogCase]:
    """The small cases, by name: shape, no_errors, traps, boundaries, multi_chunk, malformed.

    Each plants one difficulty, so one wrong habit costs one requirement: only ``shape`` has
    hours out of order (each hour in two places), only ``traps`` has messages and services that mention ERROR, only
    ``boundaries`` has errors at hh:00:00, hh:59:59 and across midnight, only ``malformed``
    has malformed lines.
    """
    rng = random.Random(seed)
    no_errors = _random_log("no_errors", rng, hours=2, per_hour=25, error_share=0.0, traps=False)
    shape = _random_log("shape", rng, hours=4, per_hour=40, error_share=0.3, traps=False)
    cases = [
        _hours_out_of_order(shape, (2, 0, 3, 1)),
        no_errors,
        _random_log("traps", rng, hours=3, per_hour=60, error_share=0.25, traps=True),
        _boundaries(),
        _random_log("multi_chunk", rng, hours=6, per_hour=45, error_share=0.4, traps=False),
        _malformed(rng),
    ]
    return {case.name: case for case in cases}


# ---- the large file ------------------------------------------------------------------------

_LARGE_LOG_LOCK = threading.Lock()
BLOCK_LINES = 9973  # lines per hour; a prime, so hours straddle every chunk boundary
# An incident day: half the lines are errors, so code that keeps every error line (or one
# number per error) grows by megabytes per extra megabyte of log, which the memory probe sees.
LARGE_ERROR_SHARE = 0.5


@dataclass(frozen=True)
class LargeLog:
    """A generated large log on disk and its truth (every hour has the same statistics)."""

    path: Path
    size_bytes: int
    hours: int
    errors_per_hour: int
    seed: int

    @property
    def total_errors(self) -> int:
        """ERROR lines in the whole file."""
        return self.hours * self.errors_per_hour


def write_large_log(folder: Path, size_mb: int, seed: int) -> LargeLog:
    """Write (or reuse) a log of about ``size_mb`` MiB: one block of lines per hour.

    Reuse is safe because the file's name holds its size, seed and error share, and its truth
    is stored beside it only after the file is complete. Graders in threads and in other
    processes (the fidelity suite runs several) share one file per name: a lock file makes
    the others wait for the first one's copy instead of writing their own.
    """
    folder = folder.resolve()
    folder.mkdir(parents=True, exist_ok=True)
    with _LARGE_LOG_LOCK, (folder / ".generate.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        return _write_large_log(folder, size_mb, seed)


def _write_large_log(folder: Path, size_mb: int, seed: int) -> LargeLog:
    share = round(LARGE_ERROR_SHARE * 100)
    path = folder / f"large-{size_mb}mb-seed{seed}-errors{share}.log"
    meta_path = path.with_suffix(".json")
    if path.exists() and meta_path.exists():
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        return LargeLog(path=path, **meta)
    rng = random.Random(seed)
    suffixes: list[str] = []
    errors = 0
    for offset in sorted(rng.randrange(3600) for _ in range(BLOCK_LINES)):
        minute, second = divmod(offset, 60)
        latency = rng.randint(1, 2000)
        is_error = rng.random() < LARGE_ERROR_SHARE
        errors += is_error
        level = "ERROR" if is_error else rng.choice(("DEBUG", "INFO", "INFO", "WARNING"))
        message = rng.choice(ERROR_MESSAGES if is_error else MESSAGES)
        suffixes.append(
            f":{minute:02d}:{second:02d}Z {level} {rng.choice(SERVICES)} {latency} {message}\n"
        )
    target = size_mb * 2**20
    written, hours = 0, 0
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", dir=folder)
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            while written < target:
                prefix = f"{START + timedelta(hours=hours):%Y-%m-%dT%H}"
                block = prefix + prefix.join(suffixes)
                fh.write(block)
                written += len(block)
                hours += 1
        tmp.replace(path)
    except BaseException:  # never leave half a file behind
        tmp.unlink(missing_ok=True)
        raise
    meta = {"size_bytes": written, "hours": hours, "errors_per_hour": errors, "seed": seed}
    write_atomic(meta_path, json.dumps(meta))
    return LargeLog(path=path, **meta)
