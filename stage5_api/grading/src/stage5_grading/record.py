"""Keep a stage 5 grading or fidelity run as a committed result (see ``gradekit.record``).

``python -m stage5_grading.record reports/stage5.json stage5_api/grading/results/check-reference.json``
"""

from __future__ import annotations

import sys

from gradekit.record import main as record_main
from gradekit.record import record

__all__ = ["main", "record"]


def main(argv: list[str]) -> int:
    """``SOURCE TARGET [COMMAND...]``."""
    return record_main(
        argv, prog="python -m stage5_grading.record", default_command="make check-stage5"
    )


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
