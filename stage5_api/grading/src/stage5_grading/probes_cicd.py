"""Criterion 5: a CI/CD pipeline that would really catch a broken service and ship a good one.

Judged on the implementation's own files (``.github/workflows/``, ``Dockerfile``, ``k8s/``;
for our reference the repo's) and by running what can run here:

* **the workflow** (:mod:`stage5_grading.workflow`): triggered on push or pull request; a
  lint step and a test step that can fail; an image built from a Dockerfile that exists and
  pushed to a registry, only after the tests passed;
* **its commands** (:mod:`stage5_grading.ci_run`): the lint and test commands run on the code
  and pass; the tests pass at least one test and send ``POST /predict`` to the app (answered
  200) — tests that are skipped, that fail, or that never touch the service do not count;
* **the Dockerfile** (:mod:`stage5_grading.dockerfile`): hadolint finds no error, the image
  does not run as root, its command is not a ``--reload`` development server, and it serves
  predictions when run here (the image itself is built and run by the container criterion);
* **the manifests** (:mod:`stage5_grading.manifests`): strict Kubernetes schemas, selectors
  that select, ports that match, probes on paths the running app answers with 200.
"""

from __future__ import annotations

import importlib.metadata
import json
import re
import shlex
import subprocess
import sys
import time
from pathlib import Path

from gradekit.result import ErrorSource, Measurement
from gradekit.stages import GradeContext
from opskit.processes import ProcessStartError
from stage5_grading.ci_run import CommandRun, TestRecord, run_lint, run_tests
from stage5_grading.dockerfile import parse_dockerfile
from stage5_grading.launch import dockerfile_plan
from stage5_grading.layout import REPO, ImplFiles, impl_files
from stage5_grading.loadtest.lb import RedisServer
from stage5_grading.loadtest.server import StartTimeout, http_status
from stage5_grading.manifests import deployment_problems, load_manifests, validate_schemas
from stage5_grading.options import Options
from stage5_grading.serving import READY_PATHS, ServerProblem, smoke, start_plan
from stage5_grading.workflow import Step, Workflow, gated_by, load_workflow

__all__ = ["probe_cicd"]


class _Findings:
    """Problems (each fails the criterion) and facts (what was fine), in the order found."""

    def __init__(self) -> None:
        self.problems: list[str] = []
        self.facts: list[str] = []
        self.unjudged: list[str] = []


def _tool(name: str) -> str:
    return str(Path(sys.executable).parent / name)


def _schema_problem(path: Path) -> str | None:
    done = subprocess.run(
        [_tool("check-jsonschema"), "--builtin-schema", "vendor.github-workflows", str(path)],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    if done.returncode == 0:
        return None
    return (done.stdout + done.stderr).strip()[-300:]


def _dockerfile_of_build(step: Step, root: Path) -> Path:
    """The Dockerfile a build step builds (``file:``/``-f``, else the context's Dockerfile)."""
    if step.uses and "build-push-action" in step.uses:
        context = str(step.with_.get("context", "."))
        file = step.with_.get("file")
        return root / str(file) if file else root / context / "Dockerfile"
    for line in (step.run or "").splitlines():
        words = shlex.split(line) if "build" in line else []
        if "build" not in words:
            continue
        for i, word in enumerate(words):
            if word in ("-f", "--file") and i + 1 < len(words):
                return root / words[i + 1]
            if word.startswith("--file="):
                return root / word.split("=", 1)[1]
        positional = [w for w in words[words.index("build") + 1 :] if not w.startswith("-")]
        context = positional[-1] if positional else "."
        return root / context / "Dockerfile"
    return root / "Dockerfile"


def _judge_workflows(files: ImplFiles, root: Path, f: _Findings) -> tuple[list[Step], list[Step]]:
    """Check the workflows; return their lint and test steps (for running)."""
    if not files.workflows:
        f.problems.append("no workflow in .github/workflows/ (GitHub Actions)")
        return [], []
    workflows: list[Workflow] = []
    for path in files.workflows:
        problem = _schema_problem(path)
        if problem:
            f.problems.append(f"{files.rel(path)} fails the GitHub workflow schema: {problem}")
        try:
            workflows.append(load_workflow(path))
        except ValueError as exc:
            f.problems.append(str(exc))
    if not workflows:
        return [], []
    names = ", ".join(files.rel(w.path) for w in workflows)
    triggers = set().union(*(w.triggers for w in workflows))
    if not triggers & {"push", "pull_request"}:
        f.problems.append(
            f"{names} runs on {sorted(triggers) or 'nothing'}, not on push or pull_request"
        )
    steps = [s for w in workflows for s in w.steps()]

    def role(name: str) -> list[Step]:
        return [s for s in steps if name in s.roles()]

    lint, test, build, push = role("lint"), role("test"), role("build"), role("push")
    for kind, found, example in (
        ("lints the code", lint, "ruff check, flake8, black --check, mypy"),
        ("runs the tests", test, "pytest"),
        ("builds the image", build, "docker build or docker/build-push-action"),
        ("pushes the image to a registry", push, "push: true or docker push"),
    ):
        if not found:
            f.problems.append(f"no step of {names} {kind} ({example})")
    for kind, found in (("lint", lint), ("test", test)):
        swallowed = [s for s in found if not s.can_fail(kind)]
        if swallowed and len(swallowed) == len(found):
            f.problems.append(
                f"the {kind} step {swallowed[0].label} can never fail the pipeline "
                "(continue-on-error or `|| true`)"
            )
    gates = [s for s in test if s.can_fail("test")]
    for step in build:
        dockerfile = _dockerfile_of_build(step, root)
        if not dockerfile.is_file():
            f.problems.append(f"{step.label} builds {files.rel(dockerfile)}, which does not exist")
        if gates and not gated_by(step, gates, workflows):
            f.problems.append(
                f"{step.label} builds the image whether or not the tests passed: put it after "
                f"the test step, or give its job `needs: {gates[0].job}`"
            )
    deploy = role("deploy")
    f.facts.append(
        f"workflow {names}: lint {len(lint)}, test {len(test)}, build {len(build)}, push "
        f"{len(push)}, deploy {len(deploy)} step(s)"
        + (f"; tests gate the image ({gates[0].label})" if gates and build else "")
    )
    return [s for s in lint if s.can_fail("lint")], gates


def _judge_commands(
    ctx: GradeContext,
    files: ImplFiles,
    root: Path,
    lint: list[Step],
    test: list[Step],
    f: _Findings,
) -> None:
    if files.is_reference:
        f.facts.append(
            "the repo's lint and test commands (`make lint`, `make test`: every workspace "
            "member, ~20 min) are repo-level: CI runs them on every push, the grader does not"
        )
        return
    deadline = time.monotonic() + Options.of(ctx).ci_timeout
    lint_runs = run_lint(lint, root, deadline=deadline)
    test_runs, record = run_tests(test, root, ctx.work_dir, deadline=deadline)
    stubs = _missing_stub_packages(files, root)
    for run in lint_runs:
        if run.skipped:
            f.facts.append(f"lint `{run.command}` not run here: {run.skipped}")
        elif not run.ok and stubs and "mypy" in run.command:
            f.unjudged.append(
                f"the workflow's `{_short(run)}` fails here ({_tail(run.output)}), but the "
                f"workflow installs {', '.join(stubs)}, which this environment lacks: their "
                "type stubs decide what mypy reports"
            )
        elif not run.ok:
            f.problems.append(
                f"the workflow's lint command `{_short(run)}` fails on the code (exit "
                f"{run.returncode}): {_tail(run.output)}"
            )
        else:
            f.facts.append(f"lint `{_short(run)}` passes ({run.seconds:.0f} s)")
    if test and not test_runs:
        f.problems.append("the test step runs no pytest (or make test) command the grader can run")
    for run in test_runs:
        if run.returncode == 5:
            f.problems.append(f"`{_short(run)}` collected no tests")
        elif not run.ok:
            f.problems.append(
                f"the workflow's test command `{_short(run)}` fails (exit {run.returncode}): "
                f"{_tail(run.output)}"
            )
    if test_runs:
        _judge_record(record, f)


def _missing_stub_packages(files: ImplFiles, root: Path) -> list[str]:
    """``types-*`` packages the workflow (or a requirements file) installs and this
    environment does not have: the grader runs the learner's mypy without them."""
    texts = [p.read_text(encoding="utf-8", errors="replace") for p in files.workflows]
    texts += [
        p.read_text(encoding="utf-8", errors="replace") for p in root.glob("requirements*.txt")
    ]
    wanted = sorted({m.lower() for t in texts for m in re.findall(r"\btypes-[A-Za-z0-9_.-]+", t)})
    missing = []
    for name in wanted:
        try:
            importlib.metadata.distribution(name)
        except importlib.metadata.PackageNotFoundError:
            missing.append(name)
    return missing


def _judge_record(record: TestRecord, f: _Findings) -> None:
    summary = (
        f"tests: {record.passed} passed, {record.failed} failed, {record.errors} errors, "
        f"{record.skipped} skipped; POST /predict sent {record.predict_requests} time(s) "
        f"{record.predict_statuses or ''}".rstrip()
    )
    f.facts.append(summary)
    if record.sessions == 0:
        f.problems.append("pytest never started a session (see the test command's output)")
    elif record.passed == 0:
        f.problems.append(f"no test passed ({summary}): skipped tests test nothing")
    elif record.predict_statuses.get("200", 0) == 0:
        f.problems.append(
            f"the tests never got a prediction from the app ({summary}): send POST /predict "
            "through FastAPI's TestClient (or httpx.ASGITransport) and check the answer"
        )


def _short(run: CommandRun) -> str:
    words = run.command.split()
    if words and words[0].endswith(("python", "python3")) and words[1:3] == ["-m", "pytest"]:
        words = ["pytest", *words[3:]]
    if words and "/" in words[0]:
        words[0] = Path(words[0]).name
    text = " ".join(w for w in words if not w.startswith("/"))
    return text[:120]


def _tail(text: str, lines: int = 4) -> str:
    kept = [ln.strip() for ln in text.splitlines() if ln.strip()][-lines:]
    return " | ".join(kept)[-400:]


def _hadolint(path: Path, files: ImplFiles, f: _Findings) -> None:
    done = subprocess.run(
        [_tool("hadolint"), "-f", "json", "--no-fail", str(path)],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    try:
        findings = json.loads(done.stdout or "[]")
    except ValueError:
        f.problems.append(f"hadolint could not read {files.rel(path)}: {done.stderr[-200:]}")
        return
    errors = [x for x in findings if x.get("level") == "error"]
    warnings = [x for x in findings if x.get("level") == "warning"]
    for x in errors[:3]:
        f.problems.append(f"hadolint {x['code']} line {x['line']}: {x['message']}")
    f.facts.append(
        f"hadolint {files.rel(path)}: {len(errors)} errors, {len(warnings)} warnings"
        + (f" ({', '.join(sorted({w['code'] for w in warnings}))})" if warnings else "")
    )


def _listen_port(argv: list[str]) -> int | None:
    for i, word in enumerate(argv):
        value = None
        if word in ("--port", "--bind", "-b") and i + 1 < len(argv):
            value = argv[i + 1]
        elif word.startswith(("--port=", "--bind=")):
            value = word.split("=", 1)[1]
        if value is not None:
            tail = value.rsplit(":", 1)[-1]
            if tail.isdigit():
                return int(tail)
    return None


def _judge_dockerfile_and_manifests(ctx: GradeContext, files: ImplFiles, f: _Findings) -> None:
    objects, yaml_errors = load_manifests(files.manifests)
    answers = None
    listen_port = None
    if files.dockerfile is None:
        f.problems.append("no Dockerfile")
    else:
        docker = parse_dockerfile(files.dockerfile)
        _hadolint(files.dockerfile, files, f)
        if docker.runs_as_root():
            f.problems.append(
                f"{files.rel(files.dockerfile)}: the image runs as root (no USER in the final "
                "stage): add an unprivileged USER"
            )
        else:
            f.facts.append(f"runs as USER {docker.user()}")
        argv, _ = docker.command()
        listen_port = _listen_port(argv or [])
        if argv and "--reload" in argv:
            f.problems.append(
                f"{files.rel(files.dockerfile)}: its command runs `--reload`, a development "
                "server (one process that restarts when files change)"
            )
        plan, why = dockerfile_plan(files)
        if plan is None:
            f.problems.append(f"the image's command cannot be run: {why}")
        else:
            server = None
            try:
                with RedisServer() as redis:
                    server = start_plan(
                        plan,
                        redis_url=redis.url,
                        log_path=ctx.work_dir / "cicd-server.log",
                        ready_paths=READY_PATHS,
                    )
                    smoke(server.url)
                    f.facts.append(f"its command {plan.describe()} serves predictions here")
                    statuses = {
                        path: http_status(server.url + path) for path in _probe_paths(objects)
                    }
                    answers = statuses.get
            except StartTimeout as exc:
                busy = "the machine was too busy: " if exc.starved else ""
                (f.unjudged if exc.starved else f.problems).append(
                    f"{busy}the image's command {plan.describe()} did not start in time: {exc}"
                )
            except (ProcessStartError, ServerProblem) as exc:
                f.problems.append(
                    f"the image's command {plan.describe()} does not serve predictions when "
                    f"run here: {exc}"
                )
            finally:
                if server is not None:
                    server.stop()
    if not files.manifests:
        f.problems.append("no Kubernetes manifests (k8s/*.yaml or k8s-deployment.yaml)")
        return
    f.problems += yaml_errors
    schema = validate_schemas(files.manifests)
    if schema:
        f.problems.append(f"kubernetes-validate --strict: {schema}")
    else:
        f.facts.append(
            f"{len(files.manifests)} manifest file(s) pass the strict Kubernetes schemas"
        )
    for obj in objects:
        containers = (((obj.doc.get("spec") or {}).get("template") or {}).get("spec") or {}).get(
            "containers"
        ) or []
        for c in containers:
            port = _listen_port([*(c.get("command") or []), *(c.get("args") or [])])
            if port is not None:
                listen_port = port
    problems, fine = deployment_problems(objects, listen_port=listen_port, answers=answers)
    f.problems += problems
    f.facts += fine[:4]


def _probe_paths(objects: list) -> list[str]:  # type: ignore[type-arg]
    paths = []
    for obj in objects:
        spec = ((obj.doc.get("spec") or {}).get("template") or {}).get("spec") or {}
        for c in spec.get("containers") or []:
            for kind in ("readinessProbe", "livenessProbe", "startupProbe"):
                http = (c.get(kind) or {}).get("httpGet") or {}
                if isinstance(http.get("path"), str):
                    paths.append(http["path"])
    return sorted(set(paths))


def probe_cicd(ctx: GradeContext) -> Measurement:
    """The workflow, its commands run here, the Dockerfile and the manifests."""
    files = impl_files(ctx)
    if files.root is None:
        return Measurement.failed(
            "IMPL names a module, not a folder: pass your folder (IMPL=workspace/stage5) so "
            "the grader finds its .github/workflows, Dockerfile and k8s/",
            source=ErrorSource.IMPLEMENTATION,
        )
    root = REPO if files.is_reference else files.root
    f = _Findings()
    lint, test = _judge_workflows(files, root, f)
    _judge_commands(ctx, files, root, lint, test, f)
    _judge_dockerfile_and_manifests(ctx, files, f)
    whose = "the repo's files (our reference)" if files.is_reference else f"files of {root}"
    evidence = (
        ("; ".join(f.problems) + ". " if f.problems else "")
        + f"Judged {whose}: "
        + "; ".join(f.facts)
        + ". The image itself is built and run by the container criterion."
    )
    details = {"problems": f.problems, "facts": f.facts, "unjudged": f.unjudged}
    if f.unjudged and not f.problems:
        return Measurement(
            value=None,
            inconclusive="not judged here: " + "; ".join(f.unjudged),
            evidence=evidence,
            details=details,
        )
    return Measurement(
        value=not f.problems, passed=not f.problems, evidence=evidence, details=details
    )
