"""Grader probes on learner-style code: figures read from log text when there is no record API."""

from __future__ import annotations

import functools
import logging
import time
import tracemalloc
import types
from pathlib import Path

import pytest

from stage1_validation.grading_probes import _parse_log, probe_performance_monitor


@pytest.mark.parametrize(
    ("text", "what", "expected"),
    [
        ("load took 201.5 ms", "time", 0.2015),
        ("elapsed: 0.199 s", "time", 0.199),
        ("peak 200.0 MiB, current 1.2 MiB", "memory", 200.0),
        ("memory 209715200 bytes", "memory", 200.0),
        ("nothing to see", "time", None),
    ],
)
def test_parse_log_reads_times_and_memory(text: str, what: str, expected: float | None) -> None:
    value = _parse_log(text, what)
    assert value == (pytest.approx(expected) if expected is not None else None)


def _learner_module() -> types.ModuleType:
    """A learner's decorator that only logs (no record API): the probe must parse its text."""
    module = types.ModuleType("learner_validator")
    logger = logging.getLogger("learner")

    def performance_monitor(func):  # type: ignore[no-untyped-def]
        @functools.wraps(func)
        def wrapper(*args, **kwargs):  # type: ignore[no-untyped-def]
            tracemalloc.start()
            started = time.perf_counter()
            try:
                return func(*args, **kwargs)
            finally:
                _, peak = tracemalloc.get_traced_memory()
                tracemalloc.stop()
                logger.info(
                    "%s took %.1f ms, peak %.1f MiB",
                    func.__name__,
                    (time.perf_counter() - started) * 1000,
                    peak / 2**20,
                )

        return wrapper

    module.performance_monitor = performance_monitor  # type: ignore[attr-defined]
    return module


@pytest.mark.slow
def test_probe_reads_a_logging_only_decorator(tmp_path: Path) -> None:
    measurement = probe_performance_monitor(_learner_module(), tmp_path)
    assert "parsed log/stdout text" in measurement.evidence
    assert measurement.value is not None and measurement.value <= 10
