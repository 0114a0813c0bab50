"""Every public module declares a sorted ``__all__`` whose names exist."""

from __future__ import annotations

import importlib

import pytest

MODULES = [
    "diagnostics",
    "diagnostics.cli",
    "diagnostics.config",
    "diagnostics.errors",
    "diagnostics.grading",
    "diagnostics.report",
    "diagnostics.rubric",
    "diagnostics.sandbox",
    "diagnostics.selftest",
    "diagnostics.hidden.asgi",
    "diagnostics.hidden.candidate",
    "diagnostics.hidden.capture",
    "diagnostics.hidden.csv_cases",
    "diagnostics.hidden.lifeline",
    "diagnostics.hidden.log_result",
    "diagnostics.hidden.logs",
    "diagnostics.hidden.loop_watch",
    "diagnostics.hidden.open_watch",
    "diagnostics.hidden.probes1",
    "diagnostics.hidden.probes1_decorator",
    "diagnostics.hidden.probes2",
    "diagnostics.hidden.probes2_memory",
    "diagnostics.hidden.probes3",
    "diagnostics.hidden.records",
]


def _isort_key(name: str) -> tuple[int, str]:
    """The order ruff's RUF022 keeps: CONSTANTS, then Classes, then functions."""
    return (0 if name.isupper() else 1 if name[0].isupper() else 2, name)


@pytest.mark.parametrize("name", MODULES)
def test_all_is_sorted_and_resolves(name: str) -> None:
    module = importlib.import_module(name)
    assert module.__all__ == sorted(module.__all__, key=_isort_key)
    for attr in module.__all__:
        assert hasattr(module, attr), f"{name}.{attr}"
