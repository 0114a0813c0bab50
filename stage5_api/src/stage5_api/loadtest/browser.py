"""Headless Chromium: screenshot a page and read its DOM after the page's scripts ran."""

from __future__ import annotations

import subprocess
import tempfile
from pathlib import Path

from stage5_api.loadtest.tools import ensure_tool

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
    with tempfile.TemporaryDirectory(prefix="stage5-chromium-") as profile:
        cmd = [ensure_tool("chromium"), *_FLAGS, f"--user-data-dir={profile}", *args]
        return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout_s, check=False)


def screenshot(url: str, out: Path, *, wait_ms: int = 4000, size: str = "1280,900") -> Path:
    """Save a PNG of ``url`` after ``wait_ms`` of page time (its polling has run by then)."""
    out.parent.mkdir(parents=True, exist_ok=True)
    done = _run(
        [f"--screenshot={out}", f"--window-size={size}", f"--virtual-time-budget={wait_ms}", url],
        timeout_s=120,
    )
    if not out.exists():
        raise RuntimeError(f"chromium wrote no screenshot: {done.stderr.strip()[-300:]}")
    return out


def dump_dom(url: str, *, wait_ms: int = 4000) -> str:
    """The DOM of ``url`` after ``wait_ms`` of page time, as HTML text."""
    done = _run([f"--virtual-time-budget={wait_ms}", "--dump-dom", url], timeout_s=120)
    return done.stdout
