"""The logs the grader generates (with their ground truth), made once per work folder.

``accuracy`` logs also get lines with bytes that are not UTF-8 (a Latin-1 path and user agent,
as real logs have): they are valid requests and must be counted, so an implementation that
drops or chokes on them is caught. Their counts are added to the truth (``requests`` and the
status class; ``distinct_ips`` and ``bytes`` of the truth are not used by the grader).
"""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path

from stage2_log_analysis.generator import (
    GeneratorConfig,
    GroundTruth,
    generate_log,
    shape_config,
    span_days,
    truth_path_for,
)

__all__ = ["ODD_LINE_EVERY", "GradedLog", "odd_line", "prepare_log", "prepare_shape_log"]

#: One line with non-UTF-8 bytes is inserted after every this many lines of an accuracy log.
ODD_LINE_EVERY = 4999


class GradedLog:
    """A generated log and its ground truth."""

    def __init__(self, path: Path, truth: GroundTruth) -> None:
        self.path = path
        self.truth = truth

    @property
    def gb(self) -> float:
        """Size on disk in GB (10**9 bytes)."""
        return self.path.stat().st_size / 1e9


def odd_line(stamp: bytes, i: int) -> bytes:
    """A valid 200 request whose path and user agent hold Latin-1 bytes (not UTF-8)."""
    return (
        b'198.51.100.%d - - [%s] "GET /caf\xe9/%d HTTP/1.1" 200 512 "-" '
        b'"Mozilla/5.0 (Stra\xdfe; \xff)" 0.010\n' % (i % 250, stamp, i)
    )


def prepare_log(
    folder: Path, kind: str, size_bytes: int, seed: int, max_days: float, odd_bytes: bool
) -> GradedLog:
    """The log ``kind`` of ``size_bytes`` under ``folder``: generated unless already there."""
    path = folder / f"{kind}-{size_bytes}-{seed}.log"
    tpath = truth_path_for(path)
    if path.exists() and tpath.exists():
        truth = GroundTruth.model_validate_json(tpath.read_text(encoding="utf-8"))
        return GradedLog(path, truth)
    folder.mkdir(parents=True, exist_ok=True)
    raw = folder / f".raw-{path.name}"
    config = GeneratorConfig(size_bytes=size_bytes, seed=seed, days=span_days(size_bytes, max_days))
    truth = generate_log(raw, config)
    if odd_bytes:
        truth = _insert_odd_lines(raw, truth)
    truth_path_for(raw).unlink(missing_ok=True)
    tmp = tpath.with_name(f".{tpath.name}.tmp")
    tmp.write_text(truth.model_dump_json(), encoding="utf-8")
    os.replace(raw, path)
    os.replace(tmp, tpath)
    return GradedLog(path, truth)


def prepare_shape_log(folder: Path, name: str, seed: int) -> GradedLog:
    """The real-log shape ``name`` (``generator.shapes``) at its own size, with its truth."""
    path = folder / f"shape-{name}-{seed}.log"
    tpath = truth_path_for(path)
    if path.exists() and tpath.exists():
        return GradedLog(path, GroundTruth.model_validate_json(tpath.read_text(encoding="utf-8")))
    folder.mkdir(parents=True, exist_ok=True)
    truth = generate_log(path, shape_config(name, seed=seed), shape=name)
    return GradedLog(path, truth)


def _insert_odd_lines(path: Path, truth: GroundTruth) -> GroundTruth:
    """Rewrite ``path`` with an odd-byte line after every ODD_LINE_EVERY lines; adjust truth."""
    index = {m: k for k, m in enumerate(truth.minutes["minute"])}
    tmp = path.with_name(path.name + ".odd")
    added = 0
    with path.open("rb") as src, tmp.open("wb") as dst:
        for n, line in enumerate(src, start=1):
            dst.write(line)
            if n % ODD_LINE_EVERY:
                continue
            start = line.find(b"[")
            stamp = line[start + 1 : line.find(b"]", start)]
            minute = int(datetime.strptime(stamp.decode(), "%d/%b/%Y:%H:%M:%S %z").timestamp())
            k = index.get(minute - minute % 60)
            if k is None:  # cannot happen for a generated line; keep the truth exact anyway
                continue
            dst.write(odd_line(stamp, added))
            truth.minutes["requests"][k] += 1
            truth.minutes["status_2xx"][k] += 1
            added += 1
    os.replace(tmp, path)
    return truth.model_copy(update={"lines": truth.lines + added})
