"""Execution backends: how the declared rules are run over a frame.

``pandas`` is the reference: each rule's own ``check`` (readable, one rule at a time), chunk by
chunk through the accumulators. ``polars`` compiles the same rule objects into Polars
expressions and evaluates the whole rule set in one parallel pass; values it cannot decide
with certainty go back to the rule's pandas code, so both backends give the same report.
"""

from __future__ import annotations

from typing import Literal, get_args

__all__ = ["BACKENDS", "Backend", "check_backend"]

Backend = Literal["pandas", "polars"]
BACKENDS: tuple[str, ...] = get_args(Backend)


def check_backend(name: str) -> Backend:
    """Return ``name`` when it is a known backend; raise a ValueError naming the choices."""
    if name not in BACKENDS:
        raise ValueError(f"unknown backend {name!r}; use one of {', '.join(BACKENDS)}")
    return name  # type: ignore[return-value]
