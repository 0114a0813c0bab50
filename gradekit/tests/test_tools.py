"""ensure_tool: installed tools are found, missing ones named with their Debian package."""

from __future__ import annotations

from pathlib import Path

import pytest

from gradekit.errors import ToolMissing
from gradekit.tools import ensure_tool


def test_ensure_tool_finds_installed_tools_and_names_the_package_of_missing_ones() -> None:
    assert Path(ensure_tool("sh", install=False)).name == "sh"
    with pytest.raises(ToolMissing, match="apt-get install -y no-such-tool-x1"):
        ensure_tool("no-such-tool-x1", install=False)
