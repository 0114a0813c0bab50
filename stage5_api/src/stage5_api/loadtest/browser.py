"""Headless Chromium: screenshot a page and read its DOM after the page's scripts ran.

The helpers live in ``gradekit.browser`` (stage 3's grader screenshots the MLflow UI with the
same code); re-exported here so ``stage5_api.loadtest.browser`` keeps working.
"""

from __future__ import annotations

from gradekit.browser import dump_dom, screenshot

__all__ = ["dump_dom", "screenshot"]
