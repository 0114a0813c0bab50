"""Keep a stage 3 grading or fidelity run as a committed result (see ``gradekit.record``).

``python -m stage3_grading.record reports/stage3.json stage3_mlops/grading/results/check-reference.json``
A scorecard's Docker figures (build seconds, image MB, seconds to ready) are lifted to the top
level as ``docker`` for the README's templates.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from gradekit.record import main as record_main
from gradekit.record import record as _record

__all__ = ["main", "record"]

LIFT = {"docker": ("build_seconds", "image_mb", "ready_seconds")}


def record(source: Path, target: Path, command: str) -> dict[str, Any]:
    """``gradekit.record.record`` with the Docker figures lifted."""
    return _record(source, target, command, lift=LIFT)


def main(argv: list[str]) -> int:
    """``SOURCE TARGET [COMMAND...]``."""
    return record_main(
        argv, prog="python -m stage3_grading.record", default_command="make check-stage3", lift=LIFT
    )


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
