"""A stage's scorecard: the verdicts on all its criteria, and the ways to show them."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field, computed_field
from rich.console import Console
from rich.table import Table

from gradekit.junit import render_junit
from gradekit.result import CriterionResult, Status
from opskit.files import write_text_atomic

__all__ = ["Scorecard", "write_atomic"]

_MARKS = {
    Status.PASS: ("✅ pass", "[green]pass[/]"),
    Status.FAIL: ("❌ fail", "[red]fail[/]"),
    Status.INCONCLUSIVE: ("❔ inconclusive", "[yellow]inconclusive[/]"),
    Status.INFO: ("ℹ️ info", "[blue]info[/]"),
    Status.SKIPPED: ("⏭ skipped", "[dim]skipped[/]"),
}


class Scorecard(BaseModel):
    """All criteria of one stage, graded against one implementation."""

    stage: str
    title: str
    implementation: str
    implemented: bool = True
    message: str = ""
    criteria: list[CriterionResult] = Field(default_factory=list)
    created_at: str = Field(default_factory=lambda: datetime.now(UTC).isoformat(timespec="seconds"))
    environment: dict[str, Any] = Field(default_factory=dict)
    options: dict[str, str] = Field(default_factory=dict)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def passed(self) -> bool:
        """True only for an implemented stage whose every scored criterion passed."""
        scored = [c for c in self.criteria if c.scored]
        return self.implemented and bool(scored) and all(c.passed for c in scored)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def verdict(self) -> str:
        """``pass``, ``fail`` (any criterion failed, or not implemented) or ``inconclusive``."""
        if self.passed:
            return "pass"
        if not self.implemented or any(c.status is Status.FAIL for c in self.criteria):
            return "fail"
        return "inconclusive" if self.criteria else "fail"

    @computed_field  # type: ignore[prop-decorator]
    @property
    def score(self) -> float:
        """Weighted share of scored criteria passed, 0..1."""
        scored = [c for c in self.criteria if c.scored]
        total = sum(c.weight for c in scored)
        return sum(c.weight for c in scored if c.passed) / total if total else 0.0

    @property
    def exit_code(self) -> int:
        """0 when every criterion passed, 1 when any failed, 3 when none failed but some
        could not be judged (inconclusive)."""
        return {"pass": 0, "fail": 1}.get(self.verdict, 3)

    # ---- renderers ---------------------------------------------------------------------------

    def to_json(self) -> str:
        """The machine-readable scorecard (the schema other tools read)."""
        return self.model_dump_json(indent=2)

    def to_markdown(self) -> str:
        """A Markdown table for READMEs, PR comments and reports."""
        verdict = self.verdict.upper()
        lines = [
            f"# {self.title} — {verdict}",
            "",
            f"Implementation: `{self.implementation}` · graded {self.created_at}",
            "",
        ]
        if not self.implemented:
            lines += [f"**Not implemented:** {self.message}", ""]
        lines += [
            "| criterion | measured | threshold | result | evidence |",
            "|---|---|---|---|---|",
        ]
        for c in self.criteria:
            mark = _MARKS[c.status][0]
            evidence = (c.error or c.evidence).replace("|", "\\|").replace("\n", " ")
            lines.append(
                f"| {c.title} ({c.title_ko}) | {_fmt(c.measured, c.unit)} | {c.threshold_text} "
                f"| {mark} | {evidence} |"
            )
        return "\n".join(lines) + "\n"

    def to_gradescope(self) -> dict[str, Any]:
        """The Gradescope autograder ``results.json`` shape."""
        tests = [
            {
                "name": f"{c.id}: {c.title}",
                "score": c.weight if c.passed else 0.0,
                "max_score": c.weight,
                "output": f"measured {_fmt(c.measured, c.unit)} (threshold {c.threshold_text}). "
                + (c.error or c.evidence),
                "visibility": "visible",
            }
            for c in self.criteria
            if c.scored
        ]
        return {
            "score": sum(t["score"] for t in tests),
            "max_score": sum(t["max_score"] for t in tests),
            "output": self.message or f"{self.title}: {'passed' if self.passed else 'failed'}",
            "tests": tests,
        }

    def render(self, console: Console | None = None) -> None:
        """Print the scorecard as a terminal table."""
        console = console or Console()
        verdict = {
            "pass": "[bold green]PASS[/]",
            "fail": "[bold red]FAIL[/]",
            "inconclusive": "[bold yellow]INCONCLUSIVE[/]",
        }[self.verdict]
        table = Table(
            title=f"{self.title} — {verdict}", caption=f"implementation: {self.implementation}"
        )
        table.add_column("criterion", overflow="fold")
        table.add_column("measured", justify="right")
        table.add_column("threshold", justify="right")
        table.add_column("result")
        table.add_column("evidence", overflow="fold", max_width=60)
        for c in self.criteria:
            table.add_row(
                f"{c.title}\n[dim]{c.title_ko}[/]",
                _fmt(c.measured, c.unit),
                c.threshold_text,
                _MARKS[c.status][1],
                c.evidence if c.evidence else (c.error or ""),
            )
        if not self.implemented:
            console.print(f"[bold red]{self.title} — FAIL[/] (not implemented): {self.message}")
            return
        console.print(table)

    def to_junit(self) -> str:
        """JUnit XML (one test case per criterion), the format every CI system shows."""
        return render_junit(self)

    def write(self, out_dir: Path, *, gradescope: bool = False) -> list[Path]:
        """Write ``<stage>.json``, ``.md`` and ``.junit.xml`` (and the Gradescope file)
        atomically, and append the verdicts to ``history/<stage>.jsonl``."""
        out_dir.mkdir(parents=True, exist_ok=True)
        written = [
            write_atomic(out_dir / f"{self.stage}.json", self.to_json()),
            write_atomic(out_dir / f"{self.stage}.md", self.to_markdown()),
            write_atomic(out_dir / f"{self.stage}.junit.xml", self.to_junit()),
        ]
        append_history(self, out_dir / "history" / f"{self.stage}.jsonl")
        if gradescope:
            payload = json.dumps(self.to_gradescope(), indent=2)
            written.append(write_atomic(out_dir / f"{self.stage}.gradescope.json", payload))
        return written


def append_history(card: Scorecard, path: Path) -> None:
    """One line per grading run (what ``make progress`` reads); appends are line-sized."""
    path.parent.mkdir(parents=True, exist_ok=True)
    line = {
        "stage": card.stage,
        "implementation": card.implementation,
        "created_at": card.created_at,
        "verdict": card.verdict,
        "score": round(card.score, 4),
        "options": card.options,
        "criteria": {
            c.id: {"status": c.status.value, "measured": c.measured, "unit": c.unit}
            for c in card.criteria
        },
    }
    with path.open("a", encoding="utf-8") as fh:
        fh.write(json.dumps(line, default=str) + "\n")


def write_atomic(path: Path, text: str) -> Path:
    """Write ``text`` to ``path`` through a temporary file and a rename (parents created)."""
    return write_text_atomic(path, text, make_parents=True)


def _fmt(value: float | bool | str | None, unit: str) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        text = f"{value:,.4g}" if abs(value) < 1e6 else f"{value:,.0f}"
    else:
        text = str(value)
    return f"{text} {unit}".strip()
