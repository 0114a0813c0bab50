"""The stages the kit knows about, and the contract a stage's grader module fulfils.

A stage grader is the package ``stageN_grading`` (a workspace member in the stage's
``grading/`` folder, beside its tests and bench, out of the product's wheel). It defines::

    TITLE: str                                       # "Stage 1 — ..."
    DEFAULT_IMPL: str                                # the repo's own implementation module
    MODULE_HINT: str | None                          # file to pick in an IMPL directory
    def build_checks(ctx: GradeContext) -> list[Check]

The kit owns everything around it: finding the implementation, running the checks, judging,
rendering and writing the scorecard.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any, Protocol

from gradekit.errors import StageNotImplemented
from gradekit.implementation import (
    ImplementationLocation,
    import_location,
    locate_implementation,
)
from gradekit.isolation import run_isolated
from gradekit.result import Measurement
from gradekit.runner import Check

__all__ = ["STAGES", "GradeContext", "StageGrader", "StageInfo", "find_grader", "stage_dir"]


@dataclass(frozen=True)
class StageInfo:
    """A stage: its key (``stage1``), product package, roadmap title and grader package."""

    key: str
    package: str
    title: str
    weeks: str

    @property
    def grader(self) -> str:
        """The grader's package: ``stage1_grading`` (diagnostics grade themselves)."""
        return f"{self.key}_grading" if self.key.startswith("stage") else f"{self.package}.grading"


STAGES: dict[str, StageInfo] = {
    info.key: info
    for info in (
        StageInfo(
            "stage1", "stage1_validation", "Stage 1 — Python fundamentals: data validation", "1–2"
        ),
        StageInfo(
            "stage2",
            "stage2_log_analysis",
            "Stage 2 — Large-scale data: log analytics on Dask",
            "3–5",
        ),
        StageInfo(
            "stage3", "stage3_mlops", "Stage 3 — ML models & MLOps: recommender on MLflow", "6–8"
        ),
        StageInfo(
            "stage4",
            "stage4_pipelines",
            "Stage 4 — Data pipelines: e-commerce ETL on Airflow & Prefect",
            "9–12",
        ),
        StageInfo(
            "stage5",
            "stage5_api",
            "Stage 5 — API serving & deployment: FastAPI prediction service",
            "13–15",
        ),
        StageInfo(
            "diagnostics", "diagnostics", "Diagnostics — the three timed interview problems", "—"
        ),
    )
}


@dataclass
class GradeContext:
    """What a stage's checks get: the implementation to grade, options, and a work folder."""

    stage: StageInfo
    impl_spec: str
    default_impl: str
    module_hint: str | None
    work_dir: Path
    options: dict[str, str] = field(default_factory=dict)
    _module: ModuleType | None = None

    @property
    def implementation_name(self) -> str:
        """How the scorecard names what it graded."""
        return self.impl_spec or self.default_impl

    @property
    def location(self) -> ImplementationLocation:
        """Where the implementation lives, found without importing it."""
        return locate_implementation(
            self.impl_spec, self.default_impl, module_hint=self.module_hint
        )

    @property
    def impl_root(self) -> Path | None:
        """The learner's folder (their Dockerfile, workflow, manifests), or None for ours."""
        return self.location.root

    def load(self) -> ModuleType:
        """Import the implementation once (raises ImplementationNotFound with a clear message).

        Inside a grader's own process prefer :meth:`isolated`: this runs the graded code here.
        """
        if self._module is None:
            self._module = import_location(self.location)
        return self._module

    def isolated(
        self, target: str, *, timeout_s: float, name: str | None = None, **kwargs: Any
    ) -> Callable[[], Measurement]:
        """A measure function that runs ``target(ctx, **kwargs)`` in a child process.

        ``target`` is ``"package.module:function"``; see :mod:`gradekit.isolation`.
        """
        return lambda: run_isolated(self, target, timeout_s=timeout_s, name=name, **kwargs)

    def option(self, name: str, default: str) -> str:
        """A grader option (``--opt NAME=VALUE``), falling back to ``default``."""
        return self.options.get(name, default)


class StageGrader(Protocol):
    """The shape of a ``<package>.grading`` module."""

    TITLE: str
    DEFAULT_IMPL: str
    MODULE_HINT: str | None

    def build_checks(self, ctx: GradeContext) -> list[Check]: ...


def find_grader(info: StageInfo) -> ModuleType:
    """Import the stage's grader, or raise StageNotImplemented when it does not exist yet.

    ``stageN_grading`` first; ``<package>.grading`` (inside the product) is the older place.
    """
    tried = []
    for name in dict.fromkeys((info.grader, f"{info.package}.grading")):
        try:
            return importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name is None or not name.startswith(exc.name):
                raise
            tried.append(name)
    raise StageNotImplemented(f"{info.title}: no grader yet (tried {', '.join(tried)})")


def stage_dir(info: StageInfo) -> Path:
    """The stage's folder in the repo (``stage1_validation/``)."""
    package = importlib.import_module(info.package)
    return Path(package.__file__ or "").resolve().parents[2]
