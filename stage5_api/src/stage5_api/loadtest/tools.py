"""Find Debian tools (wrk, nginx, chromium), installing them with apt-get when missing.

The helpers live in ``gradekit.tools`` (every stage's grader needs them); re-exported here so
``stage5_api.loadtest.tools`` keeps working.
"""

from __future__ import annotations

from gradekit.errors import ToolMissing
from gradekit.tools import ensure_tool

__all__ = ["ToolMissing", "ensure_tool"]
