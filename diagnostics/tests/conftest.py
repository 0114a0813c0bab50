"""Shared fixtures: the self-test is graded once per session, in the background.

Every case is a set of sandbox subprocesses: they start with the session, a few at a time,
while the other tests run; the self-test's tests then only read their case's outcome.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import pytest

from diagnostics.config import GradingConfig
from diagnostics.selftest import CaseOutcome, start_selftest

# Problem 2's large file in the tests: modest, so the suite stays fast (interviews use 256 MB).
LARGE_FILE_MB = int(os.environ.get("DIAGNOSTICS_TEST_LARGE_MB", "48"))


@pytest.fixture(scope="session")
def test_config(tmp_path_factory: pytest.TempPathFactory) -> GradingConfig:
    data_dir = tmp_path_factory.mktemp("diag-data")
    return GradingConfig(large_file_mb=LARGE_FILE_MB, data_dir=str(data_dir))


@pytest.fixture(scope="session", autouse=True)
def selftest_futures(
    request: pytest.FixtureRequest,
    test_config: GradingConfig,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[list[Future[CaseOutcome]]]:
    """Start grading every self-test case at session start; other tests run meanwhile."""
    if not any("selftest_outcomes" in item.fixturenames for item in request.session.items):
        yield []  # this run selected no self-test: grade nothing
        return
    work_dir = tmp_path_factory.mktemp("diag-selftest")
    with ThreadPoolExecutor(max_workers=3) as pool:
        yield start_selftest(test_config, work_dir, pool)


@pytest.fixture(scope="session")
def selftest_outcomes(selftest_futures: list[Future[CaseOutcome]]) -> dict[str, CaseOutcome]:
    outcomes = [future.result() for future in selftest_futures]
    return {outcome.name: outcome for outcome in outcomes}


@pytest.fixture
def candidate_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "candidate"
    folder.mkdir()
    return folder
