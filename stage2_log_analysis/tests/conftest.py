"""Shared fixtures: small generated logs with their ground truth (made once per session)."""

from __future__ import annotations

from pathlib import Path

import pytest

from stage2_log_analysis.generator import GeneratorConfig, GroundTruth, generate_log


@pytest.fixture(scope="session")
def small_log(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, GroundTruth]:
    """About 6 MB over half a day, with incidents and a few malformed lines."""
    path = tmp_path_factory.mktemp("logs") / "access.log"
    truth = generate_log(
        path, GeneratorConfig(size_bytes=6_000_000, days=0.5, seed=7, malformed_rate=5e-4)
    )
    return path, truth


@pytest.fixture(scope="session")
def tiny_log(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, GroundTruth]:
    """About 1 MB over 3 hours, no incidents: fast to parse many times."""
    path = tmp_path_factory.mktemp("logs") / "tiny.log"
    truth = generate_log(
        path,
        GeneratorConfig(
            size_bytes=1_000_000, days=0.125, seed=3, incidents=False, warmup_minutes=30
        ),
    )
    return path, truth
