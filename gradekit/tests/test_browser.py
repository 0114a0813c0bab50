"""Headless Chromium on a page whose script changes the DOM (skipped where Chromium is absent)."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from gradekit.browser import dump_dom, screenshot
from gradekit.errors import ToolMissing
from gradekit.tools import ensure_tool
from opskit.processes import free_port, stop_tree, wait_until_answers

PAGE = """<!doctype html><html><body style="background:#fff">
<h1 id="status">loading</h1>
<script>setTimeout(() => { document.getElementById("status").textContent = "rendered"; }, 500)
</script></body></html>"""


@pytest.fixture
def page_url(tmp_path: Path) -> Iterator[str]:
    try:
        ensure_tool("chromium", install=False)
    except ToolMissing as exc:
        pytest.skip(str(exc))
    (tmp_path / "index.html").write_text(PAGE, encoding="utf-8")
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1"],
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}/index.html"
    try:
        wait_until_answers(url, process=server)
        yield url
    finally:
        stop_tree(server)


def test_dom_is_read_after_the_page_script_ran(page_url: str) -> None:
    assert 'id="status">rendered<' in dump_dom(page_url, wait_ms=2000)


def test_screenshot_writes_a_png(page_url: str, tmp_path: Path) -> None:
    out = screenshot(page_url, tmp_path / "shots" / "page.png", wait_ms=1000, size="400,300")
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
