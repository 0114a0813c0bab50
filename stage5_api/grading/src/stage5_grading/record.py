"""Keep a grading or fidelity run as a committed result, with the machine it ran on.

``python -m stage5_grading.record reports/stage5.json stage5_api/grading/results/check-reference.json``
copies a scorecard (or ``reports/fidelity/stage5.json``) and adds what a reader needs to
trust its figures: cores, CPU model, the load average when it was recorded, and the command.
The README renders its figures from these files (``scripts/render_results.py``).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from gradekit.machine import machine_facts

__all__ = ["main", "record"]


def record(source: Path, target: Path, command: str) -> dict[str, Any]:
    """Write ``source``'s JSON with ``machine`` and ``command`` added to ``target`` (atomically)."""
    data = json.loads(source.read_text(encoding="utf-8"))
    if isinstance(data.get("outcomes"), list):  # a fidelity report: add its totals
        outcomes = data["outcomes"]
        data["right"] = sum(1 for o in outcomes if o.get("right"))
        data["total"] = len(outcomes)
        data["share_percent"] = round(100 * data["right"] / max(1, data["total"]), 1)
    data["machine"] = machine_facts()
    data["command"] = command
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(target.name + ".tmp")
    tmp.write_text(json.dumps(data, indent=2, default=str) + "\n", encoding="utf-8")
    tmp.replace(target)
    return dict(data)


def main(argv: list[str]) -> int:
    """``record.py SOURCE TARGET [COMMAND...]``."""
    if len(argv) < 2:
        print("usage: python -m stage5_grading.record SOURCE.json TARGET.json [command ...]")
        return 2
    source, target = Path(argv[0]), Path(argv[1])
    if not source.is_file():
        print(f"error: {source} does not exist: run the grader first (make check-stage5)")
        return 2
    record(source, target, " ".join(argv[2:]) or "make check-stage5")
    print(f"recorded {source} -> {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
