"""Fill the figures in the docs from committed result files, so no figure is typed by hand.

A Markdown file marks each figure's place with the result file and a template::

    <!-- results: deploy/results/compose-availability.json | {ok:,}/{requests:,} answered -->
    4,232/4,232 answered
    <!-- /results -->

The template is Python's ``str.format`` over the JSON (``{machine[cores]}``, ``{ratio:.2f}``,
``{rate:.1%}``). A numeric key of a JSON object can be named as it is: ``{attempts[2]}`` reads
the key ``"2"`` (``str.format`` passes ``[2]`` as the integer 2, and JSON keys are strings).
``python scripts/render_results.py`` rewrites the text between the markers; ``--check`` exits 1
when any rendered text differs from what is committed (CI runs it through ``make lint``).
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

from opskit.files import write_text_atomic

ROOT = Path(__file__).resolve().parents[1]
BLOCK = re.compile(
    r"(?P<open><!-- results: (?P<file>[^|>]+?) \| (?P<template>.*?) -->\n)(?P<body>.*?)(?P<close><!-- /results -->)",
    re.S,
)


class _Fields(dict[str, Any]):
    """A JSON object whose numeric keys a template can name: ``{histogram[2]}``."""

    def __missing__(self, key: object) -> Any:
        if isinstance(key, int) and str(key) in self:
            return self[str(key)]
        raise KeyError(key)


def render(text: str, root: Path = ROOT) -> str:
    """``text`` with every results block filled from its file."""

    def fill(match: re.Match[str]) -> str:
        path = root / match["file"].strip()
        try:
            data: Any = json.loads(path.read_text(encoding="utf-8"), object_hook=_Fields)
        except (OSError, ValueError) as exc:
            raise SystemExit(
                f"error: {path} (named in a results block) cannot be read: {exc}"
            ) from None
        try:
            body = (
                match["template"].format(**data)
                if isinstance(data, dict)
                else match["template"].format(data)
            )
        except (KeyError, IndexError, ValueError) as exc:
            raise SystemExit(
                f"error: template {match['template']!r} does not fit {path}: {exc!r}"
            ) from None
        return f"{match['open']}{body}\n{match['close']}"

    return BLOCK.sub(fill, text)


def tracked_markdown() -> list[Path]:
    """Every Markdown file git knows (untracked drafts are left alone)."""
    out = subprocess.run(
        ["git", "ls-files", "*.md"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout
    return [ROOT / line for line in out.splitlines() if line]


def main(argv: list[str]) -> int:
    check = "--check" in argv
    stale = []
    for path in tracked_markdown():
        text = path.read_text(encoding="utf-8")
        if "<!-- results:" not in text:
            continue
        new = render(text)
        if new != text:
            stale.append(path.relative_to(ROOT))
            if not check:
                write_text_atomic(path, new)
    if check and stale:
        print("figures differ from their result files in: " + ", ".join(map(str, stale)))
        print("run `make docs` and commit the result")
        return 1
    print(
        ("rendered " if not check else "up to date: ") + (", ".join(map(str, stale)) or "all files")
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
