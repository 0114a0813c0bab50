"""What the interviewer reads: points per problem, and notes with feedback and follow-ups."""

from __future__ import annotations

from pathlib import Path

from rich.console import Console
from rich.table import Table

from diagnostics.rubric import Rubric
from gradekit import Scorecard, write_atomic

__all__ = ["points_by_problem", "render_notes", "render_points", "write_notes"]


def points_by_problem(card: Scorecard, rubric: Rubric) -> dict[int, tuple[int, int]]:
    """``{problem: (points earned, points available)}`` for the problems that were graded."""
    totals: dict[int, tuple[int, int]] = {}
    for result in card.criteria:
        problem = rubric.get(result.id).problem
        earned, available = totals.get(problem, (0, 0))
        weight = int(result.weight)
        totals[problem] = (earned + (weight if result.passed else 0), available + weight)
    return dict(sorted(totals.items()))


def render_points(card: Scorecard, rubric: Rubric, console: Console) -> None:
    """The per-problem summary table printed under the scorecard."""
    table = Table(title=f"Score — {card.implementation}")
    for column, justify in (("problem", "left"), ("minutes", "right"), ("points", "right")):
        table.add_column(column, justify=justify)  # type: ignore[arg-type]
    totals = points_by_problem(card, rubric)
    for number, (earned, available) in totals.items():
        problem = next(p for p in rubric.problems() if p.number == number)
        table.add_row(
            f"{number}. {problem.title} ({problem.title_ko})",
            str(problem.minutes),
            f"{earned}/{available}",
        )
    earned = sum(e for e, _ in totals.values())
    available = sum(a for _, a in totals.values())
    table.add_row("[bold]total[/]", "", f"[bold]{earned}/{available}[/]")
    console.print(table)


def render_notes(card: Scorecard, rubric: Rubric) -> str:
    """Markdown notes for the interview: misses with feedback, and what to ask about them."""
    totals = points_by_problem(card, rubric)
    earned = sum(e for e, _ in totals.values())
    available = sum(a for _, a in totals.values())
    lines = [
        f"# Interview notes — {card.implementation}",
        "",
        f"Score: **{earned}/{available}** (graded {card.created_at}).",
        "",
        "| problem | points |",
        "|---|---:|",
    ]
    lines += [f"| {n} | {e}/{a} |" for n, (e, a) in totals.items()]
    misses = [c for c in card.criteria if not c.passed]
    lines += ["", "## Missed requirements (놓친 요구사항)", ""]
    if not misses:
        lines.append("None: every graded requirement was met.")
    for result in misses:
        req = rubric.get(result.id)
        seen = (result.error or result.evidence).split(" → ")[0]
        lines += [
            f"### `{req.id}` — {req.title} (−{req.points})",
            "",
            f"- Seen: {seen}",
            f"- Feedback: {req.feedback}",
            *(f"- Ask: {q}" for q in req.follow_up),
            "",
        ]
    met = [c for c in card.criteria if c.passed]
    if met:
        lines += ["## Follow-ups on what was done well (잘한 부분 후속 질문)", ""]
        lines += [
            f"- `{c.id}`: {rubric.get(c.id).follow_up[0]}"
            for c in met
            if rubric.get(c.id).follow_up
        ]
    return "\n".join(lines) + "\n"


def write_notes(card: Scorecard, rubric: Rubric, out_dir: Path) -> Path:
    """Write ``interview-notes.md`` beside the scorecard."""
    return write_atomic(out_dir / "interview-notes.md", render_notes(card, rubric))
