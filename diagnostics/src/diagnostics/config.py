"""The scorer's knobs: sizes, limits and which problems to grade (``--opt name=value``)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from diagnostics.errors import DiagnosticsError

__all__ = ["GradingConfig"]


class GradingConfig(BaseModel):
    """Limits a candidate's code runs under, and the size of problem 2's large file.

    **Usage**::

        GradingConfig.from_options({"large_file_mb": "64", "problems": "2"})
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    problems: tuple[int, ...] = (1, 2, 3)
    large_file_mb: int = Field(
        256,
        ge=48,
        description="size of problem 2's generated log (reading it whole must exceed the limit)",
    )
    memory_ratio: float = Field(
        0.5, gt=0, description="peak RSS increase must stay below size x this"
    )
    memory_floor_mb: float = Field(
        32, ge=0, description="the limit is never below this: one chunk's working set is allowed"
    )
    timeout_p1_s: float = Field(60, gt=0)
    timeout_p2_s: float = Field(300, gt=0)
    timeout_p3_s: float = Field(90, gt=0)
    memory_limit_mb: int = Field(4096, ge=256, description="address-space limit of each sandbox")
    seed: int = 20260301
    data_dir: str = Field("", description="cache folder of the large log; default <work_dir>/_data")

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
