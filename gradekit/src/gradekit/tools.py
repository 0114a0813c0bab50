"""Find Debian tools (wrk, nginx, chromium, redis-server), installing them with apt-get if missing.

Graders need a few programs that PyPI does not ship. When one is absent and we run as root with
apt-get available, it is installed once (``apt-get update`` at most once per process); otherwise
ToolMissing names the package to install.
"""

from __future__ import annotations

import os
import shutil
import subprocess

from gradekit.errors import ToolMissing

__all__ = ["PACKAGE_OF", "ensure_tool"]

PACKAGE_OF = {"nginx": "nginx-light", "chromium": "chromium", "wrk": "wrk"}
_ALSO_KNOWN_AS = {"chromium": ("chromium", "chromium-browser", "google-chrome")}
_updated = False


def _which(name: str) -> str | None:
    for candidate in _ALSO_KNOWN_AS.get(name, (name,)):
        path = shutil.which(candidate) or shutil.which(candidate, path="/usr/sbin:/usr/bin")
        if path:
            return path
    return None


def ensure_tool(name: str, *, install: bool = True) -> str:
    """The path of ``name``; runs ``apt-get update`` and ``apt-get install`` once if needed."""
    global _updated
    path = _which(name)
    if path:
        return path
    package = PACKAGE_OF.get(name, name)
    can_install = shutil.which("apt-get") is not None and os.geteuid() == 0
    if not install or not can_install:
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
    path = _which(name)
    if done.returncode != 0 or not path:
        raise ToolMissing(f"apt-get install {package} failed: {done.stderr.strip()[-300:]}")
    return path
