"""A GitHub Actions workflow read for what it does: which steps lint, test, build, push, deploy.

A step's role comes from the commands it runs (``echo`` lines do not count: a workflow that
only says "Running tests..." runs none) or the action it uses. A step *can fail* unless it is
``continue-on-error`` or its command is followed by ``|| true`` and the like. The image is
*gated* by the tests when it is built in the same job after the test step, or in a job that
``needs`` (directly or not) the job that tests.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

__all__ = [
    "Job",
    "Step",
    "Workflow",
    "command_lines",
    "gated_by",
    "load_workflow",
    "pytest_args",
]

_ROLES: dict[str, tuple[str, ...]] = {
    "lint": (
        r"\bruff\b",
        r"\bflake8\b",
        r"\bpylint\b",
        r"\bblack\b.*--check",
        r"\bisort\b.*--check",
        r"\bmypy\b",
        r"\bpyright\b",
        r"\bmake\s+lint\b",
        r"\bpre-commit\s+run\b",
    ),
    "test": (r"\bpytest\b", r"\bmake\s+test\b", r"\btox\b", r"\bnox\b", r"-m\s+unittest\b"),
    "build": (
        r"\bdocker\s+(buildx\s+)?build\b",
        r"\bdocker\s+compose\s+build\b",
        r"\bpodman\s+build\b",
        r"\bbuildah\s+bud\b",
        r"\bkaniko\b",
    ),
    "push": (r"\bdocker\s+push\b", r"\bpodman\s+push\b", r"\bbuildx\s+build\b.*--push\b"),
    "deploy": (
        r"\bkubectl\b.*\b(apply|set\s+image|rollout)\b",
        r"\bhelm\s+(upgrade|install)\b",
        r"\bkustomize\s+build\b.*\|\s*kubectl",
    ),
}
_ACTIONS: dict[str, tuple[str, ...]] = {
    "lint": ("ruff-action", "psf/black", "flake8", "pre-commit/action", "hadolint-action"),
    "build": ("docker/build-push-action",),
    "deploy": ("k8s-deploy", "kubectl", "helm", "argocd"),
}
_SWALLOW = re.compile(r"\|\|\s*(true|:|exit\s+0|echo\b)|;\s*(true|exit\s+0)\s*$|\bset\s+\+e\b")
_SILENT = re.compile(r"^\s*(echo|printf|:|#|cat\s+<<)", re.I)
# installing a tool is not running it: `pip install ruff pytest` neither lints nor tests
_INSTALL = re.compile(
    r"^\s*(sudo\s+)?(pip3?\s|python3?\s+-m\s+pip\s|uv\s+(pip|sync|add|tool\s+install)\b|"
    r"poetry\s+(install|add)\b|pipx\s+install\b|apt(-get)?\s|npm\s+(i|install)\b)",
    re.I,
)


@dataclass
class Step:
    """One step of a job."""

    job: str
    index: int
    name: str
    run: str | None
    uses: str | None
    with_: dict[str, Any]
    continue_on_error: bool
    working_directory: str | None
    disabled: bool

    @property
    def label(self) -> str:
        """How the evidence names the step."""
        return f"{self.job} › {self.name or self.uses or (self.run or '').splitlines()[0][:40]}"

    def roles(self) -> set[str]:
        """lint, test, build, push, deploy: what the step does."""
        roles: set[str] = set()
        for line in command_lines(self.run or ""):
            for role, patterns in _ROLES.items():
                if any(re.search(p, line) for p in patterns):
                    roles.add(role)
        uses = (self.uses or "").lower()
        for role, names in _ACTIONS.items():
            if any(n in uses for n in names):
                roles.add(role)
        if "docker/build-push-action" in uses:
            push = str(self.with_.get("push", "false")).strip().lower()
            if push not in ("false", "", "0"):
                roles.add("push")
        return roles

    def can_fail(self, role: str) -> bool:
        """False when the step's failure is swallowed (continue-on-error, ``|| true``)."""
        if self.continue_on_error:
            return False
        for line in command_lines(self.run or ""):
            if any(re.search(p, line) for p in _ROLES.get(role, ())) and _SWALLOW.search(line):
                return False
        return not (self.run and re.search(r"^\s*set\s+\+e\b", self.run, re.M))


@dataclass
class Job:
    """One job: its steps and the jobs it needs."""

    id: str
    needs: list[str]
    steps: list[Step] = field(default_factory=list)
    continue_on_error: bool = False


@dataclass
class Workflow:
    """A workflow file's triggers and jobs."""

    path: Path
    triggers: set[str]
    jobs: dict[str, Job]

    def steps(self) -> list[Step]:
        """Every enabled step of every job."""
        return [s for j in self.jobs.values() for s in j.steps if not s.disabled]

    def with_role(self, role: str) -> list[Step]:
        """The enabled steps that play ``role``."""
        return [s for s in self.steps() if role in s.roles()]


def command_lines(script: str) -> list[str]:
    """The shell commands of a ``run:`` script, without echo/printf lines and comments."""
    out = []
    for raw in script.replace("\\\n", " ").splitlines():
        for part in re.split(r"&&|;(?!\s*(?:true|exit))", raw):
            if part.strip() and not _SILENT.match(part) and not _INSTALL.match(part):
                out.append(part.strip())
    return out


def _truthy(value: object) -> bool:
    if isinstance(value, bool):
        return value
    return str(value).strip().lower() in ("true", "${{ true }}")


def _disabled(value: object) -> bool:
    return value is False or str(value).strip().lower() in ("false", "${{ false }}")


def load_workflow(path: Path) -> Workflow:
    """Parse a workflow file (raises ValueError naming the file when it is not a workflow)."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise ValueError(f"{path.name} is not valid YAML: {str(exc).splitlines()[0]}") from exc
    if not isinstance(data, dict) or not isinstance(data.get("jobs"), dict):
        raise ValueError(f"{path.name} has no jobs: section")
    on = data.get("on", data.get(True))  # YAML 1.1 reads a bare `on` as True
    if isinstance(on, str):
        triggers = {on}
    elif isinstance(on, (list, dict)):
        triggers = {str(t) for t in on}
    else:
        triggers = set()
    jobs: dict[str, Job] = {}
    for job_id, spec in data["jobs"].items():
        if not isinstance(spec, dict):
            continue
        needs = spec.get("needs") or []
        job = Job(
            id=str(job_id),
            needs=[needs] if isinstance(needs, str) else [str(n) for n in needs],
            continue_on_error=_truthy(spec.get("continue-on-error", False)),
        )
        job_disabled = _disabled(spec.get("if", True))
        defaults = ((spec.get("defaults") or {}).get("run") or {}).get("working-directory")
        for i, step in enumerate(spec.get("steps") or []):
            if not isinstance(step, dict):
                continue
            job.steps.append(
                Step(
                    job=str(job_id),
                    index=i,
                    name=str(step.get("name") or ""),
                    run=step.get("run") if isinstance(step.get("run"), str) else None,
                    uses=step.get("uses") if isinstance(step.get("uses"), str) else None,
                    with_=dict(step["with"]) if isinstance(step.get("with"), dict) else {},
                    continue_on_error=job.continue_on_error
                    or _truthy(step.get("continue-on-error", False)),
                    working_directory=step.get("working-directory") or defaults,
                    disabled=job_disabled or _disabled(step.get("if", True)),
                )
            )
        jobs[job.id] = job
    return Workflow(path=path, triggers=triggers, jobs=jobs)


def _ancestors(workflows: list[Workflow], job: str) -> set[str]:
    """Every job ``job`` needs, directly or not (within the same workflow)."""
    for wf in workflows:
        if job in wf.jobs:
            seen: set[str] = set()
            todo = list(wf.jobs[job].needs)
            while todo:
                j = todo.pop()
                if j in seen or j not in wf.jobs:
                    continue
                seen.add(j)
                todo += wf.jobs[j].needs
            return seen
    return set()


def gated_by(step: Step, gates: list[Step], workflows: list[Workflow]) -> bool:
    """True when ``step`` runs only after one of ``gates`` succeeded."""
    before = _ancestors(workflows, step.job)
    return any((g.job == step.job and g.index < step.index) or g.job in before for g in gates)


def pytest_args(line: str) -> list[str] | None:
    """The arguments of a pytest command line (``uv run pytest -q tests`` → ``["-q", "tests"]``)."""
    try:
        words = shlex.split(line)
    except ValueError:
        return None
    for i, word in enumerate(words):
        if Path(word).name == "pytest":
            rest = words[i + 1 :]
            break
        if word == "-m" and i + 1 < len(words) and words[i + 1] == "pytest":
            rest = words[i + 2 :]
            break
    else:
        return None
    kept = []
    for word in rest:
        if word in ("|", "||", "&&", ";", ">", "2>&1", "|&"):
            break
        kept.append(word)
    return kept
