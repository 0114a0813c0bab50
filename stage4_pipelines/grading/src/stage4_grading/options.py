"""The grader's options (``GRADE_OPTS="--opt name=value"``), checked once with clear errors.

::

    sim_days=3000          days in the reliability simulation (3000 = 99.9 % at 95 % confidence)
    sim_budget_s=...       stop the simulation after this many seconds (default 600 + 0.5 s/day)
    full_orders=20000      orders in the full-size day timed through each engine
    warehouse_url=...      a PostgreSQL server (postgresql://postgres@127.0.0.1:5432): each run
                           gets a new database there; default: a new DuckDB file
    engines=airflow,prefect
    trial_scenarios=success,full_day,recovery,quality   (fewer: the others are inconclusive)
    trial_timeout_s=1500   limit of one engine's trial (a hang is stopped there)
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from gradekit.stages import GradeContext
from stage4_grading.criteria import ENGINES

__all__ = ["GraderOptions", "OptionsError"]

_SCENARIOS = ("success", "full_day", "recovery", "quality")


class OptionsError(ValueError):
    """Raised when a grader option has a value the grader cannot use."""


class GraderOptions(BaseModel):
    """Parsed ``--opt`` values (an unknown name is an error: a typo must not pass silently)."""

    model_config = ConfigDict(extra="forbid")

    sim_days: int = Field(3000, ge=1)
    sim_budget_s: float | None = Field(None, gt=0)
    full_orders: int = Field(20_000, ge=10)
    warehouse_url: str = ""
    engines: list[str] = list(ENGINES)
    trial_scenarios: list[str] = list(_SCENARIOS)
    trial_timeout_s: float = Field(1500.0, gt=0)

    @field_validator("engines", "trial_scenarios", mode="before")
    @classmethod
    def _split(cls, value: object) -> object:
        return (
            [v.strip() for v in value.split(",") if v.strip()] if isinstance(value, str) else value
        )

    @field_validator("engines")
    @classmethod
    def _known_engines(cls, value: list[str]) -> list[str]:
        unknown = sorted(set(value) - set(ENGINES))
        if unknown:
            raise ValueError(f"unknown engine(s) {unknown}; use {','.join(ENGINES)}")
        return value

    @field_validator("trial_scenarios")
    @classmethod
    def _known_scenarios(cls, value: list[str]) -> list[str]:
        unknown = sorted(set(value) - set(_SCENARIOS))
        if unknown:
            raise ValueError(f"unknown scenario(s) {unknown}; use {','.join(_SCENARIOS)}")
        return [s for s in _SCENARIOS if s in value]

    @field_validator("warehouse_url")
    @classmethod
    def _postgres_only(cls, value: str) -> str:
        if value and not value.startswith(("postgresql://", "postgres://")):
            raise ValueError("give a PostgreSQL server URL (postgresql://postgres@127.0.0.1:5432)")
        return value

    @property
    def simulation_budget_s(self) -> float:
        """How long the simulation may run before it stops and judges the days it has."""
        return self.sim_budget_s or 600.0 + 0.5 * self.sim_days

    @classmethod
    def from_context(cls, ctx: GradeContext) -> GraderOptions:
        """Read and check the options; raises OptionsError naming the bad one."""
        try:
            return cls.model_validate(dict(ctx.options))
        except ValidationError as exc:
            first = exc.errors()[0]
            name = ".".join(str(p) for p in first["loc"])
            raise OptionsError(
                f"--opt {name}={ctx.options.get(name, '')!r}: {first['msg']}"
            ) from None
