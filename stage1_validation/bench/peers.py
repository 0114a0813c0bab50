"""The benchmark's peers live in their own venv (bench/.venv): ``python peers.py setup``.

Soda Core's DuckDB package pins duckdb==1.0.0 while the workspace uses duckdb 2, so the peers
cannot share the workspace lock. ``setup`` creates the venv with ``uv`` and installs the pinned
versions from ``peers-requirements.txt`` (idempotent: it does nothing when they are there).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
VENV = HERE / ".venv"
REQUIREMENTS = HERE / "peers-requirements.txt"
PEERS = ("pandera", "great_expectations", "soda")


def peer_python() -> Path:
    """The interpreter of the peers' venv."""
    return VENV / "bin" / "python"


def peers_ready() -> bool:
    """True when the venv exists and imports every peer."""
    python = peer_python()
    if not python.exists():
        return False
    probe = "import " + ", ".join(PEERS)
    return subprocess.run([python, "-c", probe], capture_output=True, check=False).returncode == 0


def setup_peers() -> Path:
    """Create bench/.venv and install the peers (a few minutes the first time)."""
    if peers_ready():
        return peer_python()
    uv = shutil.which("uv") or f"{sys.executable} -m uv"
    base = uv.split()
    subprocess.run([*base, "venv", str(VENV), "--python", "3.11", "--allow-existing"], check=True)
    subprocess.run(
        [*base, "pip", "install", "--python", str(peer_python()), "-r", str(REQUIREMENTS)],
        check=True,
    )
    return peer_python()


if __name__ == "__main__":
    if sys.argv[1:] != ["setup"]:
        sys.exit("usage: python peers.py setup")
    print(f"peers ready: {setup_peers()}")
