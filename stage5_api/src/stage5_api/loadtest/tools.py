"""Find Debian tools (wrk, nginx, chromium), installing them with apt-get when missing."""

from __future__ import annotations

import shutil
import subprocess

__all__ = ["ToolMissing", "ensure_tool"]

_PACKAGE_OF = {"wrk": "wrk", "nginx": "nginx-light", "chromium": "chromium"}
_updated = False


class ToolMissing(RuntimeError):
    """Raised when a Debian tool is absent and cannot be installed here."""


def ensure_tool(name: str, *, install: bool = True) -> str:
    """The path of ``name``; runs ``apt-get update`` and ``apt-get install`` once if needed."""
    global _updated
    path = shutil.which(name) or shutil.which(name, path="/usr/sbin:/usr/bin")
    if path:
        return path
    package = _PACKAGE_OF.get(name, name)
    if not install or shutil.which("apt-get") is None:
        raise ToolMissing(f"{name} is not installed: run `apt-get install -y {package}` (as root)")
    if not _updated:
        subprocess.run(["apt-get", "update", "-qq"], check=False, capture_output=True)
        _updated = True
    done = subprocess.run(
        ["apt-get", "install", "-y", "-qq", "--no-install-recommends", package],
        check=False,
        capture_output=True,
        text=True,
    )
    path = shutil.which(name) or shutil.which(name, path="/usr/sbin:/usr/bin")
    if done.returncode != 0 or not path:
        raise ToolMissing(f"apt-get install {package} failed: {done.stderr.strip()[-300:]}")
    return path
