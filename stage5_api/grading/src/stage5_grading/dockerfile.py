"""Read a Dockerfile the way ``docker build`` does, as far as the grader needs it.

The grader runs the command the image would run (CMD, after ENTRYPOINT), checks who it runs
as (USER of the final stage) and which folder of the build context holds the app. Only the
instructions' meaning is parsed — continuation lines, comments, exec (JSON) and shell form —
never a build.
"""

from __future__ import annotations

import json
import shlex
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["Dockerfile", "Instruction", "parse_dockerfile"]


@dataclass(frozen=True)
class Instruction:
    """One instruction: ``keyword`` upper-case, ``args`` as written, its first line number."""

    keyword: str
    args: str
    line: int

    def exec_form(self) -> list[str] | None:
        """The JSON array of an exec-form CMD/ENTRYPOINT, or None for the shell form."""
        text = self.args.strip()
        if not text.startswith("["):
            return None
        try:
            value = json.loads(text)
        except ValueError:
            return None
        if isinstance(value, list) and all(isinstance(v, str) for v in value):
            return value
        return None


@dataclass
class Dockerfile:
    """The final stage's instructions, and what the grader needs from them."""

    path: Path
    instructions: list[Instruction] = field(default_factory=list)

    @property
    def final_stage(self) -> list[Instruction]:
        """Instructions from the last FROM on (what the image runs)."""
        start = 0
        for i, ins in enumerate(self.instructions):
            if ins.keyword == "FROM":
                start = i
        return self.instructions[start:]

    def last(self, keyword: str) -> Instruction | None:
        """The final stage's last ``keyword`` instruction (the one that counts)."""
        found = [i for i in self.final_stage if i.keyword == keyword]
        return found[-1] if found else None

    def user(self) -> str | None:
        """The USER the container runs as (None: root, Docker's default)."""
        ins = self.last("USER")
        return ins.args.strip() if ins else None

    def runs_as_root(self) -> bool:
        """True when no USER is set in the final stage, or it names root / uid 0."""
        user = self.user()
        if user is None:
            return True
        name = user.split(":")[0].strip()
        return name in ("root", "0")

    def command(self) -> tuple[list[str] | None, str]:
        """The container's command line (ENTRYPOINT + CMD) and how it was written.

        Returns ``(argv, "")`` for exec form, ``(None, reason)`` when it cannot be run as a
        plain command line (no CMD, or a shell form that needs a shell's features).
        """
        entry, cmd = self.last("ENTRYPOINT"), self.last("CMD")
        parts: list[str] = []
        for ins in (entry, cmd):
            if ins is None:
                continue
            argv = ins.exec_form()
            if argv is None:
                text = ins.args.strip()
                if any(ch in text for ch in "&|;<>`$(){}"):
                    return None, f"{ins.keyword} (line {ins.line}) needs a shell: {text[:120]!r}"
                argv = shlex.split(text)
            parts += argv
        if not parts:
            return None, "no CMD or ENTRYPOINT"
        return parts, ""

    def workdir(self) -> str:
        """The final stage's working directory (``/`` when none is set)."""
        current = "/"
        for ins in self.final_stage:
            if ins.keyword == "WORKDIR":
                target = ins.args.strip().strip('"')
                current = target if target.startswith("/") else f"{current.rstrip('/')}/{target}"
        return current

    def copied_folder(self) -> str | None:
        """The context folder copied into WORKDIR (``COPY src/ .`` → ``src``), if not the root.

        The app then lives in that folder of the learner's directory, and the grader runs the
        command from there.
        """
        workdir = self.workdir().rstrip("/") or "/"
        chosen = None
        for ins in self.final_stage:
            if ins.keyword not in ("COPY", "ADD") or "--from" in ins.args:
                continue
            words = [w for w in shlex.split(ins.args) if not w.startswith("--")]
            if len(words) != 2:
                continue
            src, dest = words
            dest = dest.rstrip("/") or "/"
            if dest in (".", "./") or dest == workdir:
                chosen = None if src.strip("./") == "" else src.rstrip("/")
        return chosen


def parse_dockerfile(path: Path) -> Dockerfile:
    """Parse ``path`` into instructions (joins ``\\``-continued lines, drops comments)."""
    text = path.read_text(encoding="utf-8", errors="replace")
    instructions: list[Instruction] = []
    buffer: list[str] = []
    start = 0
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.rstrip()
        stripped = line.strip()
        if not buffer and (not stripped or stripped.startswith("#")):
            continue
        if buffer and stripped.startswith("#"):
            continue  # comment lines inside a continued instruction are skipped by Docker
        if not buffer:
            start = number
        if line.endswith("\\"):
            buffer.append(line[:-1])
            continue
        buffer.append(line)
        joined = " ".join(part.strip() for part in buffer)
        buffer = []
        keyword, _, args = joined.partition(" ")
        instructions.append(Instruction(keyword.upper(), args.strip(), start))
    if buffer:
        joined = " ".join(part.strip() for part in buffer)
        keyword, _, args = joined.partition(" ")
        instructions.append(Instruction(keyword.upper(), args.strip(), start))
    return Dockerfile(path=path, instructions=instructions)
