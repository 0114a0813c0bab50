"""What a measurement found, and the verdict on one criterion."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

__all__ = ["CriterionResult", "Measurement"]


class Measurement(BaseModel):
    """The raw outcome of measuring one criterion, returned by a stage's check function.

    ``passed`` may be left ``None``: the runner then judges ``value`` against the criterion's
    threshold. Set it only when the verdict needs more than one number (say, "every injected
    error found *and* nothing else").
    """

    value: float | bool | str | None
    evidence: str
    passed: bool | None = None
    details: dict[str, Any] = Field(default_factory=dict)


class CriterionResult(BaseModel):
    """One line of a scorecard: the criterion, what was measured, and the verdict."""

    id: str
    title: str
    title_ko: str
    method: str
    measured: float | bool | str | None
    unit: str
    threshold: float | bool | str | None
    threshold_text: str
    passed: bool
    evidence: str
    duration_s: float
    weight: float = 1.0
    error: str | None = None
    details: dict[str, Any] = Field(default_factory=dict)
