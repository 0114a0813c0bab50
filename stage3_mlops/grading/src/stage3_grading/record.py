"""Keep a grading or fidelity run as a committed result, with the machine it ran on.

``python -m stage3_grading.record reports/stage3.json stage3_mlops/grading/results/check-reference.json``
copies a scorecard (or ``reports/fidelity/stage3.json``) and adds the machine (cores, load
average when recorded) and the command. A scorecard's Docker figures (build seconds, image MB)
are lifted to the top level for the README's templates (``scripts/render_results.py``).
"""

from __future__ import annotations

import json
import os
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

__all__ = ["main", "record"]


def _machine() -> dict[str, Any]:
    load = os.getloadavg()
    return {
        "cores": os.cpu_count(),
        "load_1m": round(load[0], 2),
        "load_5m": round(load[1], 2),
        "recorded_at": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
    }


def record(source: Path, target: Path, command: str) -> dict[str, Any]:
    """Write ``source``'s JSON plus ``machine``, ``command`` and totals to ``target`` atomically."""
    data: dict[str, Any] = json.loads(source.read_text(encoding="utf-8"))
    if isinstance(data.get("outcomes"), list):  # a fidelity report
        outcomes = data["outcomes"]
        data["right"] = sum(1 for o in outcomes if o.get("right"))
        data["total"] = len(outcomes)
        data["share_percent"] = round(100 * data["right"] / max(1, data["total"]), 1)
    for criterion in data.get("criteria") or []:
        if criterion.get("id") == "docker":
            details = criterion.get("details") or {}
            data["docker"] = {
                k: details.get(k) for k in ("build_seconds", "image_mb", "ready_seconds")
            }
        data.setdefault("statuses", {})[criterion.get("id")] = criterion.get("status")
    data["machine"] = _machine()
    data["command"] = command
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(target.name + ".tmp")
    tmp.write_text(json.dumps(data, indent=2, default=str) + "\n", encoding="utf-8")
    tmp.replace(target)
    return data


def main(argv: list[str]) -> int:
    """``record.py SOURCE TARGET [COMMAND...]``."""
    if len(argv) < 2:
        print("usage: python -m stage3_grading.record SOURCE.json TARGET.json [command ...]")
        return 2
    source, target = Path(argv[0]), Path(argv[1])
    if not source.is_file():
        print(f"error: {source} does not exist: run the grader first (make check-stage3)")
        return 2
    record(source, target, " ".join(argv[2:]) or "make check-stage3")
    print(f"recorded {source} -> {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
