"""Grader probes: figures read from log text when an implementation has no record API.

The whole path (a logging-only decorator graded end to end) is covered by the learner
fixture in test_grading.py; here the parser alone.
"""

from __future__ import annotations

import pytest

from stage1_validation.grading_probes import _parse_log


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
