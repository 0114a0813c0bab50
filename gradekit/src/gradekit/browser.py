"""Headless Chromium: screenshot a page, or read its DOM after the page's scripts ran.

Graders prove that a dashboard or a UI renders (stage 3's MLflow UI, stage 5's live metrics
page). ``--virtual-time-budget`` lets the page's timers and fetches run for that much page time
before the capture, so a page that polls shows data rather than its loading state.
"""

from __future__ import annotations

import subprocess
import tempfile
from pathlib import Path

from gradekit.errors import BrowserError
from gradekit.tools import ensure_tool

__all__ = ["dump_dom", "screenshot"]

_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--hide-scrollbars",
]


def _run(args: list[str], timeout_s: float) -> subprocess.CompletedProcess[str]:
    with tempfile.TemporaryDirectory(prefix="gradekit-chromium-") as profile:
        cmd = [ensure_tool("chromium"), *_FLAGS, f"--user-data-dir={profile}", *args]
        return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout_s, check=False)


def screenshot(
    url: str,
    out: Path,
    *,
    wait_ms: int = 4000,
    size: str = "1280,900",
    timeout_s: float = 120.0,
) -> Path:
    """Save a PNG of ``url`` after ``wait_ms`` of page time; raises BrowserError without one."""
    out.parent.mkdir(parents=True, exist_ok=True)
    out.unlink(missing_ok=True)  # a stale PNG must not pass for a new one
    done = _run(
        [f"--screenshot={out}", f"--window-size={size}", f"--virtual-time-budget={wait_ms}", url],
        timeout_s=timeout_s,
    )
    if not out.exists():
        raise BrowserError(
            f"chromium exited {done.returncode} without a screenshot of {url}: "
            f"{done.stderr.strip()[-300:]}"
        )
    return out


def dump_dom(url: str, *, wait_ms: int = 4000, timeout_s: float = 120.0) -> str:
    """The DOM of ``url`` after ``wait_ms`` of page time, as HTML text."""
    done = _run([f"--virtual-time-budget={wait_ms}", "--dump-dom", url], timeout_s=timeout_s)
    return done.stdout
