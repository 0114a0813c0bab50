"""What a stage is graded on: one roadmap criterion and how its measurement is judged."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict

__all__ = ["Comparison", "Criterion"]


class Comparison(StrEnum):
    """How a measured value is held against the threshold."""

    AT_LEAST = ">="
    AT_MOST = "<="
    EQUALS = "=="
    IS_TRUE = "is true"

    def holds(
        self, measured: float | bool | str | None, threshold: float | bool | str | None
    ) -> bool:
        """True when ``measured`` meets ``threshold`` under this comparison."""
        if measured is None:
            return False
        if self is Comparison.IS_TRUE:
            return bool(measured)
        if self is Comparison.EQUALS:
            return measured == threshold
        if not isinstance(measured, int | float) or not isinstance(threshold, int | float):
            return False
        if self is Comparison.AT_LEAST:
            return measured >= threshold
        return measured <= threshold


class Criterion(BaseModel):
    """One evaluation criterion of the roadmap (a check-box), with its measurement contract.

    **Usage**::

        Criterion(
            id="memory",
            title="Process a 10GB file with memory use of 1GB or less",
            title_ko="10GB 파일을 1GB 이하 메모리로 처리",
            method="peak RSS of the process tree, sampled with psutil every 50 ms",
            threshold=1024, unit="MB", comparison=Comparison.AT_MOST,
        )
    """

    model_config = ConfigDict(frozen=True)

    id: str
    title: str
    title_ko: str
    method: str
    threshold: float | bool | str | None = True
    unit: str = ""
    comparison: Comparison = Comparison.IS_TRUE
    weight: float = 1.0
    scored: bool = True
    """False for a figure shown for information only (say, a repo-level figure when IMPL is
    given): it appears in the scorecard with status ``info`` and never decides the verdict."""

    def threshold_text(self) -> str:
        """The threshold as a reader sees it, e.g. ``<= 1024 MB``."""
        if self.comparison is Comparison.IS_TRUE:
            return "yes"
        unit = f" {self.unit}" if self.unit else ""
        return f"{self.comparison.value} {self.threshold}{unit}"
