"""Shared fixtures: the self-test is graded once per session, all cases at once.

Every case is a set of sandbox subprocesses, so they run a few at a time while pytest waits;
the individual tests then only read their case's outcome.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from rich.console import Console

from diagnostics.config import GradingConfig
from diagnostics.selftest import CaseOutcome, run_selftest

# Problem 2's large file in the tests: modest, so the suite stays fast (interviews use 256 MB).
LARGE_FILE_MB = int(os.environ.get("DIAGNOSTICS_TEST_LARGE_MB", "48"))


@pytest.fixture(scope="session")
def test_config(tmp_path_factory: pytest.TempPathFactory) -> GradingConfig:
    data_dir = tmp_path_factory.mktemp("diag-data")
    return GradingConfig(large_file_mb=LARGE_FILE_MB, data_dir=str(data_dir))


@pytest.fixture(scope="session")
def selftest_outcomes(
    test_config: GradingConfig, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, CaseOutcome]:
    work_dir = tmp_path_factory.mktemp("diag-selftest")
    console = Console(quiet=True)
    outcomes = run_selftest(test_config, work_dir, console, workers=4)
    return {outcome.name: outcome for outcome in outcomes}


@pytest.fixture
def candidate_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "candidate"
    folder.mkdir()
    return folder
