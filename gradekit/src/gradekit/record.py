"""Keep a grading or fidelity run as a committed result, with the machine it ran on.

``python -m gradekit record reports/stage5.json stage5_api/grading/results/check-reference.json``
copies a scorecard (or a fidelity report from ``reports/fidelity/``) and adds what a reader needs
to trust its figures: cores, CPU model, the load when it was recorded, and the command. READMEs
render their figures from these files (``scripts/render_results.py``), never by hand.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from opskit.files import write_text_atomic
from opskit.machine import machine_facts

__all__ = ["main", "record"]


def record(
    source: Path,
    target: Path,
    command: str,
    *,
    lift: Mapping[str, Sequence[str]] | None = None,
) -> dict[str, Any]:
    """Write ``source``'s JSON plus ``machine``, ``command`` and totals to ``target`` atomically.

    Fidelity reports get ``right``/``total``/``share_percent``; scorecards get ``statuses`` (one
    per criterion id). ``lift`` copies named ``details`` of a criterion to the top level, so a
    README template can say ``{docker[image_mb]}`` instead of digging through the list.
    """
    data: dict[str, Any] = json.loads(source.read_text(encoding="utf-8"))
    if isinstance(data.get("outcomes"), list):
        outcomes = data["outcomes"]
        data["right"] = sum(1 for o in outcomes if o.get("right"))
        data["total"] = len(outcomes)
        data["share_percent"] = round(100 * data["right"] / max(1, data["total"]), 1)
    for criterion in data.get("criteria") or []:
        cid = criterion.get("id")
        data.setdefault("statuses", {})[cid] = criterion.get("status")
        if lift and cid in lift:
            details = criterion.get("details") or {}
            data[cid] = {key: details.get(key) for key in lift[cid]}
    data["machine"] = machine_facts()
    data["command"] = command
    write_text_atomic(target, json.dumps(data, indent=2, default=str) + "\n", make_parents=True)
    return data


def main(
    argv: Sequence[str],
    *,
    prog: str = "python -m gradekit record",
    default_command: str = "make check-stageN",
    lift: Mapping[str, Sequence[str]] | None = None,
) -> int:
    """``SOURCE TARGET [COMMAND...]``: the command defaults to ``default_command``."""
    if len(argv) < 2:
        print(f"usage: {prog} SOURCE.json TARGET.json [command ...]")
        return 2
    source, target = Path(argv[0]), Path(argv[1])
    if not source.is_file():
        print(f"error: {source} does not exist: run the grader first ({default_command})")
        return 2
    record(source, target, " ".join(argv[2:]) or default_command, lift=lift)
    print(f"recorded {source} -> {target}")
    return 0
