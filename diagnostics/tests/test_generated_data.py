"""The planted truth of the generated inputs is right (checked by an independent count)."""

from __future__ import annotations

import re
from collections import Counter
from datetime import datetime
from pathlib import Path

import pytest

from diagnostics.hidden.csv_cases import csv_cases
from diagnostics.hidden.logs import log_cases, write_large_log

WELL_FORMED_ERROR = re.compile(r"^(\d{4}-\d{2}-\d{2}T\d{2}):\d{2}:\d{2}Z ERROR \S+ (\d+)(?: .*)?$")


def _independent_counts(text: str) -> Counter[str]:
    """Count ERROR lines per 'YYYY-MM-DDTHH' with a regex and a calendar check."""
    counts: Counter[str] = Counter()
    for line in text.splitlines():
        match = WELL_FORMED_ERROR.match(line)
        if not match:
            continue
        try:
            datetime.strptime(line[:20], "%Y-%m-%dT%H:%M:%SZ")
        except ValueError:
            continue
        counts[match.group(1)] += 1
    return counts


@pytest.mark.parametrize("name", sorted(log_cases(7)))
def test_small_log_truth_matches_an_independent_count(name: str, tmp_path: Path) -> None:
    case = log_cases(7)[name]
    text = case.write(tmp_path).read_text(encoding="utf-8")
    expected = {f"{h:%Y-%m-%dT%H}": t.count for h, t in case.truth.items()}
    assert dict(_independent_counts(text)) == expected


def test_log_cases_are_deterministic_for_a_seed() -> None:
    assert log_cases(3)["multi_chunk"].lines == log_cases(3)["multi_chunk"].lines
    assert log_cases(3)["multi_chunk"].lines != log_cases(4)["multi_chunk"].lines


def test_traps_mention_error_without_being_errors() -> None:
    case = log_cases(7)["traps"]
    mentions = sum("ERROR" in line for line in case.lines)
    assert mentions > case.total > 0


def test_large_log_truth_and_reuse(tmp_path: Path) -> None:
    large = write_large_log(tmp_path, 2, seed=5)
    text = large.path.read_text(encoding="utf-8")
    counts = _independent_counts(text)
    assert sum(counts.values()) == large.total_errors
    assert set(counts.values()) == {large.errors_per_hour}
    assert large.size_bytes >= 2 * 2**20
    mtime = large.path.stat().st_mtime_ns
    assert write_large_log(tmp_path, 2, seed=5) == large
    assert large.path.stat().st_mtime_ns == mtime  # reused, not rewritten


def test_csv_cases_plant_only_known_error_kinds() -> None:
    for case in csv_cases().values():
        assert {kind for _, _, kind in case.expected} <= {"empty", "type"}
        assert all(row >= 2 for row, _, _ in case.expected)  # line 1 is the header


def test_concurrent_writers_share_one_large_log(tmp_path: Path) -> None:
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=4) as pool:
        logs = list(pool.map(lambda _: write_large_log(tmp_path, 2, seed=9), range(4)))
    assert len(set(logs)) == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        ".generate.lock",
        "large-2mb-seed9-errors50.json",
        "large-2mb-seed9-errors50.log",
    ]


def test_a_relative_data_dir_reaches_the_sandbox_as_an_absolute_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from diagnostics.config import GradingConfig
    from diagnostics.grading import GradingSession, reference_dir

    monkeypatch.chdir(tmp_path)
    config = GradingConfig(large_file_mb=48, data_dir="relative/data")
    small, large = GradingSession(reference_dir(), config, tmp_path / "work")._memory_logs()
    assert large.path.is_absolute() and small.size_bytes < large.size_bytes / 3
    assert large.path.parent == small.path.parent == tmp_path / "relative" / "data"


def test_the_shape_log_has_every_hour_in_two_places(tmp_path: Path) -> None:
    case = log_cases(7)["shape"]
    hours = [line[:13] for line in case.lines]
    runs = [h for i, h in enumerate(hours) if i == 0 or hours[i - 1] != h]
    assert len(runs) == 2 * len(set(hours)) and runs != sorted(runs)


def test_half_of_the_large_log_s_lines_are_errors(tmp_path: Path) -> None:
    large = write_large_log(tmp_path, 2, seed=5)
    lines = large.path.read_text(encoding="utf-8").count("\n")
    assert 0.45 < large.total_errors / lines < 0.55
