"""Shared fixtures: small generated data, and one real MLflow tracking server per test session."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

from stage3_mlops.data import GeneratorConfig, generate_interactions
from stage3_mlops.servers import TrackingServer

_names = itertools.count()


@pytest.fixture(scope="session")
def interactions() -> pd.DataFrame:
    """Four weeks of 200 users × 120 items (a few thousand rows)."""
    return generate_interactions(GeneratorConfig(n_users=200, n_items=120, n_days=28, seed=1))


@pytest.fixture(scope="session")
def tracking_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TrackingServer]:
    """A real ``mlflow server`` (SQLite backend, artefacts in tmp) on a free loopback port."""
    folder: Path = tmp_path_factory.mktemp("mlflow")
    with TrackingServer.sqlite(folder) as server:
        yield server


@pytest.fixture
def experiment_name(request: pytest.FixtureRequest) -> str:
    """A fresh experiment name per test, so tests never see each other's runs."""
    return f"{request.node.name[:40]}-{next(_names)}"
