"""Shared fixtures: the fast self-test cases are judged once per session, in the background.

Every case is a ``gradekit check`` subprocess with sandboxes of its own: they start with the
session, two at a time, while the other tests run; the self-test's tests then only read
their case's outcome.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import pytest

from diagnostics.config import GradingConfig
from diagnostics.selftest import load_diagnostics_cases
from gradekit.fidelity import CaseOutcome, judge_case

# Problem 2's large log in the direct tests: the smallest allowed (interviews use 256 MB).
LARGE_FILE_MB = int(os.environ.get("DIAGNOSTICS_TEST_LARGE_MB", "48"))
CASE_WORKERS = 2


@pytest.fixture(scope="session")
def test_config() -> GradingConfig:
    return GradingConfig(large_file_mb=LARGE_FILE_MB)


@pytest.fixture(scope="session", autouse=True)
def fidelity_futures(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, Future[CaseOutcome]]]:
    """Start judging every fast case at session start; other tests run meanwhile."""
    wanted = {
        item.callspec.params["case"].name
        for item in request.session.items
        if "fidelity_outcomes" in item.fixturenames and hasattr(item, "callspec")
    }
    if not wanted:
        yield {}  # this run selected no self-test case: judge nothing
        return
    work_dir = tmp_path_factory.mktemp("diag-fidelity")
    cases = [c for c in load_diagnostics_cases(tier="fast") if c.name in wanted]
    with ThreadPoolExecutor(max_workers=CASE_WORKERS) as pool:
        yield {case.name: pool.submit(judge_case, case, work_dir) for case in cases}


@pytest.fixture(scope="session")
def fidelity_outcomes(
    fidelity_futures: dict[str, Future[CaseOutcome]],
) -> dict[str, CaseOutcome]:
    return {name: future.result() for name, future in fidelity_futures.items()}


@pytest.fixture
def candidate_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "candidate"
    folder.mkdir()
    return folder
