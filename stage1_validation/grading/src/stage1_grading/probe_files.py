"""Safe file handling: no handle left open on any path, and no half-written report.

Runs in a child process (``ctx.isolated``). Every file-touching entry point of the skeleton is
called with inputs that make it really read or write — good files, and files that break part
way — and :mod:`stage1_grading.handles` watches for handles left open while the failure is
still alive or never closed at all. ``write_report`` must leave either a complete report or no
file (and no temp file) when serialising fails midway; an honest writer that succeeds (say with
``default=str``) passes too, as long as what it wrote is complete.
"""

from __future__ import annotations

import json
import os
import resource
import signal
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gradekit.result import ErrorSource, Measurement
from gradekit.stages import GradeContext
from stage1_grading.handles import HandleWatch, watch_handles
from stage1_grading.interface import (
    InterfaceError,
    accepted_parameters,
    refusal,
    require,
    where,
)

__all__ = ["UNSERIALISABLE", "probe_context_managers"]

DISK_FULL_AT = 256 * 1024  # bytes a file may grow to while the disk is "full"
ROWS = 4000
BREAK_AT = 3000  # the data row where the broken CSV stops being UTF-8
CHUNK = 500


class Unserialisable:
    """A value no JSON encoder can write: even ``default=str`` fails on it."""

    def __str__(self) -> str:
        raise RuntimeError("the grader's unserialisable value (str() refuses on purpose)")

    __repr__ = __str__

    def __format__(self, spec: str) -> str:
        raise RuntimeError("the grader's unserialisable value (format() refuses on purpose)")


UNSERIALISABLE = Unserialisable()


@dataclass
class Step:
    """One call and what it showed."""

    label: str
    ok: bool
    text: str


def probe_context_managers(ctx: GradeContext) -> Measurement:
    """Reading rules and data (good and broken) leaks nothing; a failed write leaves nothing."""
    impl = ctx.load()
    folder = ctx.work_dir / "context_managers"
    folder.mkdir(parents=True, exist_ok=True)
    try:
        validator = require(impl, "DataValidator")
        process = require(impl, "process_large_dataset")
        writer = require(impl, "write_report")
    except InterfaceError as exc:
        return refusal(exc)
    files = _inputs(folder / "inputs")
    steps = [
        _reading(validator, "DataValidator(rules.yaml)", files["rules"]),
        _reading(
            validator, "DataValidator(not UTF-8 rules, bad byte on line 402)", files["latin1"]
        ),
        _reading(validator, "DataValidator(malformed YAML on line 402)", files["malformed"]),
        _reading(
            process, "process_large_dataset(data.csv, rules.yaml)", files["csv"], files["rules"]
        ),
        _reading(
            process,
            f"process_large_dataset(CSV that stops being UTF-8 at data row {BREAK_AT}, rules.yaml)",
            files["broken_csv"],
            files["rules"],
        ),
        _reading(
            process,
            "process_large_dataset(data.csv, rules naming a column the CSV lacks)",
            files["csv"],
            files["missing_column"],
        ),
        *_writing(writer, folder / "reports"),
    ]
    bad = [s for s in steps if not s.ok]
    who = f"{where(validator)}, {where(process)}, {where(writer)}"
    evidence = "; ".join(f"{s.label}: {s.text}" for s in (bad or steps))
    if bad:
        return Measurement(
            value=False,
            passed=False,
            evidence=f"{len(bad)} of {len(steps)} file checks failed ({who}): {evidence}",
            error_source=ErrorSource.IMPLEMENTATION,
        )
    return Measurement(
        value=True,
        passed=True,
        evidence=f"{len(steps)} file checks passed ({who}): {evidence}",
    )


def _inputs(folder: Path) -> dict[str, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    good_rules = "columns:\n  id:\n    - {rule: not_null}\n  amount:\n    - {rule: range, min: 0, max: 100}\n"
    filler = "".join(f"# padding line {i} so the bad part comes late\n" for i in range(400))
    header = "id,amount\n"
    body = "".join(f"{i},{i % 100}\n" for i in range(ROWS))
    broken = (
        header.encode()
        + "".join(f"{i},{i % 100}\n" for i in range(BREAK_AT)).encode()
        + b"3000,\xff\xfe\xfd\n"
        + "".join(f"{i},{i % 100}\n" for i in range(BREAK_AT + 1, ROWS)).encode()
    )
    contents: dict[str, bytes] = {
        "rules": good_rules.encode(),
        "latin1": (filler + good_rules + "  caf\xe9:\n    - {rule: not_null}\n").encode("latin-1"),
        "malformed": (filler + good_rules + "  broken: [ {rule: not_null\n").encode(),
        "missing_column": (good_rules + "  no_such_column:\n    - {rule: not_null}\n").encode(),
        "csv": (header + body).encode(),
        "broken_csv": broken,
    }
    names = {
        "rules": "rules.yaml",
        "latin1": "rules_latin1.yaml",
        "malformed": "rules_malformed.yaml",
        "missing_column": "rules_missing_column.yaml",
        "csv": "data.csv",
        "broken_csv": "data_broken.csv",
    }
    paths = {}
    for key, content in contents.items():
        paths[key] = folder / names[key]
        paths[key].write_bytes(content)
    return paths


def _reading(fn: Callable[..., Any], label: str, *paths: Path) -> Step:
    accepted = accepted_parameters(fn)
    chunked = label.startswith("process_large_dataset")
    kwargs = (
        {"chunk_size": CHUNK} if chunked and (accepted is None or "chunk_size" in accepted) else {}
    )
    folder = paths[0].parent
    with watch_handles(folder) as watch:
        watch.call(fn, *(str(p) for p in paths), **kwargs)
    return _verdict(label, watch)


def _verdict(label: str, watch: HandleWatch) -> Step:
    outcome = f"raised {watch.raised}" if watch.raised else "returned"
    if watch.leaked:
        return Step(label, False, f"{outcome}; {watch.describe()} — open files with `with`")
    return Step(label, True, f"{outcome[:120]}, no handle left open")


def _writing(writer: Callable[..., Any], folder: Path) -> list[Step]:
    """A good report round-trips; a report that cannot be serialised leaves nothing half-written."""
    folder.mkdir(parents=True, exist_ok=True)
    good: dict[str, Any] = {
        "passed": False,
        "summary": {"rows": 3, "failed": 1, "note": "grüße, 검증"},
        "rules": [{"rule": "not_null", "column": "id", "failing_count": i} for i in range(2000)],
    }
    steps = []
    fresh = _empty(folder / "good")
    target = fresh / "report.json"
    with watch_handles(fresh) as watch:
        watch.call(writer, good, str(target))
    text = _leftovers(fresh, keep="report.json")
    if watch.raised:
        steps.append(Step("write_report(good report)", False, f"raised {watch.raised}"))
    elif watch.leaked:
        steps.append(Step("write_report(good report)", False, watch.describe()))
    elif _read_json(target) != good:
        steps.append(
            Step(
                "write_report(good report)",
                False,
                "report.json is missing or does not read back as the report",
            )
        )
    elif text:
        steps.append(Step("write_report(good report)", False, text))
    else:
        steps.append(Step("write_report(good report)", True, "report.json reads back equal"))
    broken = {**good, "rules": [*good["rules"], {"rule": "x", "value": UNSERIALISABLE}]}
    for label, previous in (
        ("write_report(value that fails midway, new file)", None),
        ("write_report(value that fails midway, over an existing report)", '{"old": true}\n'),
    ):
        fresh = _empty(folder / ("new" if previous is None else "existing"))
        target = fresh / "report.json"
        if previous is not None:
            target.write_text(previous, encoding="utf-8")
        with watch_handles(fresh) as watch:
            watch.call(writer, broken, str(target))
        steps.append(_after_failed_write(label, watch, target, previous))
    steps.append(_disk_full(writer, folder, good))
    return steps


def _disk_full(writer: Callable[..., Any], folder: Path, good: dict[str, Any]) -> Step:
    """The disk fills up while writing a big report over an old one (RLIMIT_FSIZE)."""
    label = f"write_report(big report, disk full after {DISK_FULL_AT // 1024} KiB, over an existing report)"
    fresh = _empty(folder / "disk_full")
    target = fresh / "report.json"
    previous = '{"old": true}\n'
    target.write_text(previous, encoding="utf-8")
    big = {**good, "rules": good["rules"] * 10}  # about 1 MB of JSON
    with _disk_fills_at(DISK_FULL_AT), watch_handles(fresh) as watch:
        watch.call(writer, big, str(target))
    if not watch.raised and _read_json(target) == big:
        return Step(
            label, False, "the grader could not make the disk fill up (the report was written)"
        )
    return _after_failed_write(label, watch, target, previous)


@contextmanager
def _disk_fills_at(size: int) -> Iterator[None]:
    """Files this process writes cannot grow past ``size`` bytes: writes fail with EFBIG.

    Meanwhile stdout and stderr go to /dev/null, so what the graded code prints cannot hit the
    limit in the check's log file.
    """
    old_limit = resource.getrlimit(resource.RLIMIT_FSIZE)
    old_handler = signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # an error, not a kill
    sys.stdout.flush()
    sys.stderr.flush()
    saved = {fd: os.dup(fd) for fd in (1, 2)}
    with open(os.devnull, "w") as null:
        for fd in saved:
            os.dup2(null.fileno(), fd)
    resource.setrlimit(resource.RLIMIT_FSIZE, (size, old_limit[1]))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, old_limit)
        signal.signal(signal.SIGXFSZ, old_handler)
        for fd, copy in saved.items():
            os.dup2(copy, fd)
            os.close(copy)


def _after_failed_write(label: str, watch: HandleWatch, target: Path, previous: str | None) -> Step:
    leftovers = _leftovers(target.parent, keep="report.json")
    if watch.leaked:
        return Step(label, False, watch.describe())
    if leftovers:
        return Step(label, False, f"{'raised' if watch.raised else 'returned'}; {leftovers}")
    exists = target.exists()
    content = target.read_text(encoding="utf-8", errors="replace") if exists else None
    if watch.raised:
        if not exists or content == previous:
            kept = "the previous report kept" if exists else "no file left"
            return Step(label, True, f"raised {watch.raised[:80]}; {kept}")
        return Step(
            label,
            False,
            f"raised {watch.raised[:80]} but left a half-written report.json "
            f"({len(content or '')} chars) — write to a temp file and rename it when complete",
        )
    if exists and _read_json(target) is not None and content != previous:
        return Step(label, True, "returned; report.json is complete JSON")
    return Step(
        label,
        False,
        "returned without raising but report.json is "
        + (
            "missing"
            if not exists
            else "not complete JSON"
            if content != previous
            else "the old one"
        )
        + " — a failed write must raise (or write a complete report)",
    )


def _empty(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for path in folder.iterdir():
        if path.is_file():
            path.unlink()
    return folder


def _leftovers(folder: Path, *, keep: str) -> str:
    extra = sorted(p.name for p in folder.iterdir() if p.name != keep)
    return f"files left beside the report: {extra}" if extra else ""


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
