"""What each step hands back: a summary of what it did and where its artefacts are."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

from gradekit import write_atomic

__all__ = ["Artifact", "DemoRun", "StepResult", "write_json"]


class Artifact(BaseModel):
    """One thing a learner can open: a file, a folder or a URL."""

    label: str
    location: str  # a path on disk or an http(s) URL
    kind: str = "file"  # file | folder | url

    def exists(self) -> bool:
        """True for URLs (checked live by the runner) and for paths that are on disk."""
        return self.kind == "url" or Path(self.location).exists()


class StepResult(BaseModel):
    """The outcome of one step: key figures of this run and its artefacts."""

    step: str
    stage: int
    title: str
    seconds: float = 0.0
    summary: dict[str, Any] = Field(default_factory=dict)
    artifacts: list[Artifact] = Field(default_factory=list)


class DemoRun(BaseModel):
    """The whole demo run, written as ``manifest.json`` at the end."""

    scale: str
    out: str
    seed: int
    services: dict[str, str]
    steps: list[StepResult] = Field(default_factory=list)


def write_json(path: Path, data: Any) -> Path:
    """Write ``data`` as indented JSON, atomically (a crash never leaves half a file)."""
    return write_atomic(path, json.dumps(data, indent=2, default=str) + "\n")
