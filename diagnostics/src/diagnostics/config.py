"""The scorer's knobs: sizes, limits and which problems to grade (``--opt name=value``)."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from diagnostics.errors import DiagnosticsError

__all__ = ["GradingConfig"]


class GradingConfig(BaseModel):
    """Limits a candidate's code runs under, and the size of problem 2's large file.

    **Usage**::

        GradingConfig.from_options({"large_file_mb": "64", "problems": "2"})

    The defaults are an interview's; the self-test grades with a 64 MB large log.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    problems: tuple[int, ...] = (1, 2, 3)
    large_file_mb: int = Field(
        256,
        ge=48,
        description="size of problem 2's large log; the memory test compares it with one a "
        "quarter of its size (smaller logs cannot tell a few MB per error line from noise)",
    )
    memory_slack_mb: float = Field(
        8,
        gt=0,
        description="the large log may grow memory by this much more than the small one",
    )
    timeout_p1_s: float = Field(60, gt=0)
    timeout_p2_s: float = Field(300, gt=0)
    timeout_p3_s: float = Field(180, gt=0)
    memory_limit_mb: int = Field(4096, ge=256, description="address-space limit of each sandbox")
    seed: int = 20260301
    data_dir: str = Field(
        "", description="cache folder of the generated logs; default: a folder in the temp dir"
    )

    @property
    def small_file_mb(self) -> int:
        """Size of the memory test's smaller log (a quarter of the large one)."""
        return self.large_file_mb // 4

    def data_folder(self) -> Path:
        """Where generated logs are cached (shared by every grading run of this user)."""
        if self.data_dir:
            return Path(self.data_dir).resolve()
        return Path(tempfile.gettempdir()) / f"diagnostics-logs-{os.getuid()}"

    def timeout_for(self, problem: int) -> float:
        """Wall-clock limit of one problem's sandbox, in seconds."""
        return {1: self.timeout_p1_s, 2: self.timeout_p2_s, 3: self.timeout_p3_s}[problem]

    @classmethod
    def from_options(cls, options: dict[str, str]) -> GradingConfig:
        """Build from ``--opt`` strings; ``problems=1,3`` picks problems."""
        values: dict[str, object] = dict(options)
        if "problems" in options:
            values["problems"] = tuple(
                int(p) for p in options["problems"].replace(" ", "").split(",") if p
            )
        try:
            return cls.model_validate(values)
        except ValidationError as exc:
            known = ", ".join(cls.model_fields)
            raise DiagnosticsError(
                f"bad grading option(s) {sorted(options)}: {exc.errors()[0]['msg']}. "
                f"Known options: {known} (e.g. --opt large_file_mb=64)"
            ) from exc
