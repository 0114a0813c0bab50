"""Execution backends: how the declared rules are run over a frame.

``pandas`` is the reference: each rule's own ``check`` (readable, one rule at a time), chunk by
chunk through the accumulators. ``polars`` compiles the same rule objects into Polars
expressions and evaluates the whole rule set in one parallel pass; ``duckdb`` compiles them
into SQL over the frame's Arrow data (one pass over the rows, one GROUP BY per unique key).
Values an engine cannot decide with certainty go back to the rule's pandas code, so every
backend gives the same report.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal, get_args

__all__ = ["BACKENDS", "Backend", "check_backend", "engine"]

Backend = Literal["pandas", "polars", "duckdb"]
BACKENDS: tuple[str, ...] = get_args(Backend)


def check_backend(name: str) -> Backend:
    """Return ``name`` when it is a known backend; raise a ValueError naming the choices."""
    if name not in BACKENDS:
        raise ValueError(f"unknown backend {name!r}; use one of {', '.join(BACKENDS)}")
    return name  # type: ignore[return-value]


def engine(name: Backend) -> tuple[Callable[..., Any], Callable[..., Any]]:
    """``(evaluate, rule_results)`` of an engine backend (imported only when used)."""
    if name == "duckdb":
        from stage1_validation.backends import duckdb_run as run
    elif name == "polars":
        from stage1_validation.backends import polars_run as run  # type: ignore[no-redef]
    else:
        raise ValueError("the pandas backend runs the rules itself, it has no engine")
    return run.evaluate, run.rule_results
