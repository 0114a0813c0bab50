"""Shared fixtures: a clean environment and one tiny demo run reused by every end-to-end test."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from rich.console import Console

from demo.config import DemoScale, DemoSettings
from demo.results import DemoRun

_SERVICE_VARS = ("DATABASE_URL", "REDIS_URL", "MLFLOW_TRACKING_URI", "DEMO_SCALE")


@pytest.fixture(autouse=True)
def clean_environ(monkeypatch: pytest.MonkeyPatch) -> None:
    """The embedded defaults unless a test sets a service URL itself."""
    for name in _SERVICE_VARS:
        monkeypatch.delenv(name, raising=False)


@pytest.fixture(scope="session")
def tiny_run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[DemoRun, DemoSettings]]:
    """The reduced demo (DEMO_SCALE=tiny) end to end, once per session; the API is stopped after."""
    from demo.runner import run_demo

    settings = DemoSettings(out=Path(tmp_path_factory.mktemp("demo")), scale=DemoScale.TINY)
    run, server = run_demo(settings, console=Console(width=120, record=True))
    try:
        yield run, settings
    finally:
        server.stop()
