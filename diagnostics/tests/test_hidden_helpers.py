"""The hidden tests' own instruments: what a decorator reported, leaked files, a held loop."""

from __future__ import annotations

import asyncio
import csv
import logging
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from diagnostics.hidden.candidate import (
    CandidateFault,
    call,
    classify,
    describe,
    set_candidate_folder,
)
from diagnostics.hidden.capture import captured_output, reported_seconds
from diagnostics.hidden.loop_watch import install_sleep_watch, watch_loop
from diagnostics.hidden.open_watch import install_open_watch, watching


@pytest.mark.parametrize(
    "line, seconds",
    [
        ("sleepy_task took 0.3012s", 0.3012),
        ("[12:00:01] sleepy_task took 301.2 ms", 0.3012),
        ("2026-03-01 12:00:01,123 INFO sleepy_task executed in 0.30 seconds", 0.30),
        ("Function sleepy_task took 0.301234", 0.301234),
        ("sleepy_task took 300000 us", 0.3),
        ("sleepy_task 걸린 시간: 0.3초", 0.3),
    ],
)
def test_a_duration_is_read_in_any_common_form(line: str, seconds: float) -> None:
    found = reported_seconds([line], "sleepy_task")
    assert found is not None and found[0] == pytest.approx(seconds)


def test_clock_times_dates_and_lines_without_the_name_are_not_durations() -> None:
    assert reported_seconds(["sleepy_task started at 12:00:01"], "sleepy_task") is None
    assert reported_seconds(["other took 0.3s"], "sleepy_task") is None
    lines = ["sleepy_task started 2026-03-01", "sleepy_task took 0.25s"]
    assert reported_seconds(lines, "sleepy_task") == (0.25, "sleepy_task took 0.25s")


def test_output_is_captured_from_print_logging_and_a_handler_made_earlier() -> None:
    early = logging.getLogger("diag-test-early")
    early.propagate = False
    early.addHandler(logging.StreamHandler(sys.__stderr__))  # holds the real stderr
    early.setLevel(logging.INFO)
    try:
        with captured_output() as lines:
            print("printed 1s")
            logging.getLogger("diag-test-root").warning("rooted 2s")
            early.info("early 3s")
    finally:
        early.handlers.clear()
    assert {"printed 1s", "rooted 2s", "early 3s"} <= set(lines)


@pytest.fixture
def open_watch(tmp_path: Path) -> Iterator[Path]:
    restore = install_open_watch()
    path = tmp_path / "data.csv"
    path.write_text("id\n1\n", encoding="utf-8")
    try:
        yield path
    finally:
        restore()


def _read_without_with(path: Path) -> int:
    handle = open(path, encoding="utf-8")  # noqa: SIM115 (the leak under test)
    return sum(1 for _ in csv.reader(handle))


def _read_with_with(path: Path) -> int:
    with open(path, encoding="utf-8") as handle:
        return sum(1 for _ in csv.reader(handle))


def test_a_file_closed_only_by_refcounting_is_still_caught(open_watch: Path) -> None:
    with watching([open_watch]) as opened:
        _read_without_with(open_watch)
        leaked = [f for f in opened if not f.closed]
    assert len(leaked) == 1  # CPython alone would have closed it when the function returned
    for f in opened:
        f.handle.close()


def test_a_file_read_in_a_with_block_is_closed(open_watch: Path) -> None:
    with watching([open_watch]) as opened:
        _read_with_with(open_watch)
    assert len(opened) == 1 and opened[0].closed


def test_only_the_candidate_s_exceptions_are_theirs(tmp_path: Path) -> None:
    set_candidate_folder(tmp_path)
    ours = ValueError("hidden test bug")
    assert classify(ours) == "grader"
    assert classify(CandidateFault("returned None")) == "implementation"
    with pytest.raises(CandidateFault, match=r"f\(\) raised TypeError"):
        call("f()", lambda x: x)  # binding fails before any frame of theirs runs
    assert describe(CandidateFault("returned None")) == "returned None"


@pytest.mark.slow
async def test_a_sleep_on_the_loop_is_seen_and_an_await_is_not() -> None:
    restore = install_sleep_watch()
    try:
        async with watch_loop() as blocked:
            time.sleep(0.4)  # what an async handler must never do
        async with watch_loop() as waiting:
            await asyncio.sleep(0.4)
    finally:
        restore()
    assert blocked.longest_s >= 0.3 and blocked.sleeps and blocked.sleeps[0][0] == 0.4
    assert waiting.longest_s < 0.25 and not waiting.sleeps


@pytest.mark.slow
async def test_a_sleep_in_a_worker_thread_does_not_count() -> None:
    restore = install_sleep_watch()
    try:
        async with watch_loop() as hold:
            await asyncio.to_thread(time.sleep, 0.3)
    finally:
        restore()
    assert not hold.sleeps and hold.longest_s < 0.25
