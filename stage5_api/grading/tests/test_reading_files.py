"""How the grader reads a learner's files: Dockerfile, launch command, workflow, manifests."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from stage5_grading.dockerfile import parse_dockerfile
from stage5_grading.launch import dockerfile_plan, launch_plan
from stage5_grading.layout import ImplFiles
from stage5_grading.manifests import deployment_problems, load_manifests
from stage5_grading.workflow import gated_by, load_workflow, pytest_args


def _files(root: Path, **kw: object) -> ImplFiles:
    return ImplFiles(
        root=root,
        is_reference=False,
        module="main",
        app_dir=root,
        dockerfile=kw.get("dockerfile"),  # type: ignore[arg-type]
    )


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


# ---- Dockerfile and the command the grader runs -------------------------------------------


def test_final_stage_user_cmd_and_continuations(tmp_path: Path) -> None:
    df = _write(
        tmp_path / "Dockerfile",
        "FROM python:3.11 AS build\nUSER builder\n# comment\nFROM python:3.11-slim\n"
        'WORKDIR /app\nCOPY src/ .\nCMD ["gunicorn", "main:app", \\\n'
        '     "-b", "0.0.0.0:8080", "-w", "3"]\n',
    )
    docker = parse_dockerfile(df)
    assert docker.runs_as_root()  # USER builder is in the build stage, not the final one
    argv, why = docker.command()
    assert argv == ["gunicorn", "main:app", "-b", "0.0.0.0:8080", "-w", "3"] and not why
    assert docker.copied_folder() == "src"


def test_shell_form_that_needs_a_shell_is_not_run(tmp_path: Path) -> None:
    df = _write(tmp_path / "Dockerfile", "FROM x\nCMD uvicorn main:app --port ${PORT:-8000}\n")
    argv, why = parse_dockerfile(df).command()
    assert argv is None and "needs a shell" in why


def test_uvicorn_cmd_gets_the_graders_host_and_port(tmp_path: Path) -> None:
    df = _write(
        tmp_path / "Dockerfile",
        'FROM x\nUSER app\nCMD ["uvicorn", "main:app", "--host", "0.0.0.0", "--port", "8000", '
        '"--workers", "4"]\n',
    )
    plan, why = dockerfile_plan(_files(tmp_path, dockerfile=df))
    assert plan is not None and not why
    argv = plan.argv_for(41234)
    assert argv[argv.index("--host") + 1] == "127.0.0.1"
    assert argv[argv.index("--port") + 1] == "41234"
    assert plan.workers == 4 and plan.cwd == tmp_path
    assert Path(argv[0]).parent == Path(sys.executable).parent  # the workspace's uvicorn


def test_gunicorn_without_bind_gets_one(tmp_path: Path) -> None:
    df = _write(tmp_path / "Dockerfile", 'FROM x\nCMD ["gunicorn", "main:app", "-c", "g.py"]\n')
    plan, _ = dockerfile_plan(_files(tmp_path, dockerfile=df))
    assert plan is not None
    assert plan.argv_for(5000)[-2:] == ["--bind", "127.0.0.1:5000"]


def test_no_dockerfile_falls_back_to_uvicorn_with_workers(tmp_path: Path) -> None:
    plan = launch_plan(_files(tmp_path), workers=2)
    assert plan.argv[1:4] == ["-m", "uvicorn", "main:app"]
    assert "no Dockerfile" in plan.source and plan.workers == 2


def test_entrypoint_script_falls_back(tmp_path: Path) -> None:
    df = _write(tmp_path / "Dockerfile", 'FROM x\nENTRYPOINT ["./start.sh"]\n')
    plan = launch_plan(_files(tmp_path, dockerfile=df), workers=2)
    assert "entrypoint script" in plan.source


# ---- the workflow --------------------------------------------------------------------------

WORKFLOW = """
name: ci
on: [push]
jobs:
  test:
    runs-on: ubuntu-latest
    steps:
      - run: pip install ruff pytest
      - run: ruff check .
      - run: |
          echo "running the tests"
          uv run pytest -q tests
  image:
    needs: test
    runs-on: ubuntu-latest
    steps:
      - uses: docker/build-push-action@v6
        with:
          push: true
"""


def test_roles_come_from_commands_not_from_installs_or_echo(tmp_path: Path) -> None:
    wf = load_workflow(_write(tmp_path / "ci.yml", WORKFLOW))
    assert wf.triggers == {"push"}  # a bare `on:` is read as the key True by YAML 1.1
    roles = [(s.job, s.index, sorted(s.roles())) for s in wf.steps()]
    assert roles == [
        ("test", 0, []),
        ("test", 1, ["lint"]),
        ("test", 2, ["test"]),
        ("image", 0, ["build", "push"]),
    ]


def test_echo_only_steps_do_nothing(tmp_path: Path) -> None:
    text = WORKFLOW.replace("ruff check .", 'echo "ruff check ."')
    wf = load_workflow(_write(tmp_path / "ci.yml", text))
    assert not wf.with_role("lint")


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("uv run pytest -q tests", "uv run pytest -q tests || true"),
        (
            "      - run: |\n          echo",
            "      - continue-on-error: true\n        run: |\n          echo",
        ),
    ],
)
def test_a_swallowed_test_step_cannot_fail(tmp_path: Path, old: str, new: str) -> None:
    wf = load_workflow(_write(tmp_path / "ci.yml", WORKFLOW.replace(old, new)))
    (test,) = wf.with_role("test")
    assert not test.can_fail("test")


def test_the_image_is_gated_only_through_needs(tmp_path: Path) -> None:
    wf = load_workflow(_write(tmp_path / "ci.yml", WORKFLOW))
    (build,) = wf.with_role("build")
    assert gated_by(build, wf.with_role("test"), [wf])
    ungated = load_workflow(_write(tmp_path / "ci2.yml", WORKFLOW.replace("needs: test", "")))
    (build,) = ungated.with_role("build")
    assert not gated_by(build, ungated.with_role("test"), [ungated])


@pytest.mark.parametrize(
    ("line", "args"),
    [
        ("pytest", []),
        ("python -m pytest tests -v", ["tests", "-v"]),
        ("uv run --frozen pytest -q tests | tee log", ["-q", "tests"]),
        ("ruff check .", None),
    ],
)
def test_pytest_arguments(line: str, args: list[str] | None) -> None:
    assert pytest_args(line) == args


# ---- Kubernetes manifests ------------------------------------------------------------------

DEPLOYMENT = """
apiVersion: apps/v1
kind: Deployment
metadata: {name: api}
spec:
  replicas: 2
  selector: {matchLabels: {app: api}}
  template:
    metadata: {labels: {app: api}}
    spec:
      containers:
        - name: api
          image: api:1
          ports: [{name: http, containerPort: 8000}]
          resources: {requests: {cpu: 250m, memory: 512Mi}}
          readinessProbe: {httpGet: {path: /ready, port: http}}
---
apiVersion: v1
kind: Service
metadata: {name: api}
spec:
  selector: {app: api}
  ports: [{port: 80, targetPort: http}]
"""


def _problems(tmp_path: Path, text: str, **kw: object) -> list[str]:
    objects, errors = load_manifests([_write(tmp_path / "k8s.yaml", text)])
    assert not errors
    problems, _ = deployment_problems(
        objects,
        listen_port=kw.get("listen_port", 8000),  # type: ignore[arg-type]
        answers=kw.get("answers", lambda path: 200),  # type: ignore[arg-type]
    )
    return problems


def test_a_consistent_deployment_has_no_problem(tmp_path: Path) -> None:
    assert _problems(tmp_path, DEPLOYMENT) == []


@pytest.mark.parametrize(
    ("old", "new", "found"),
    [
        ("selector: {matchLabels: {app: api}}", "selector: {matchLabels: {app: web}}", "selector"),
        ("replicas: 2", "replicas: 1", "1 replica"),
        ("targetPort: http", "targetPort: 9000", "targetPort 9000"),
        ("spec:\n  selector: {app: api}", "spec:\n  selector: {app: other}", "selects no pod"),
        ("resources: {requests: {cpu: 250m, memory: 512Mi}}", "resources: {}", "requests"),
    ],
)
def test_what_the_cluster_would_find_out(tmp_path: Path, old: str, new: str, found: str) -> None:
    assert old in DEPLOYMENT
    problems = _problems(tmp_path, DEPLOYMENT.replace(old, new))
    assert any(found in p for p in problems), problems


def test_probe_paths_are_checked_against_the_running_app(tmp_path: Path) -> None:
    problems = _problems(tmp_path, DEPLOYMENT, answers=lambda path: 404)
    assert any("readinessProbe GET /ready" in p and "404" in p for p in problems)


def test_the_app_workload_is_the_one_on_the_listen_port(tmp_path: Path) -> None:
    redis = DEPLOYMENT.split("---")[0].replace("name: api}", "name: redis}")
    redis = redis.replace("containerPort: 8000", "containerPort: 6379").replace(
        "replicas: 2", "replicas: 1"
    )
    assert _problems(tmp_path, DEPLOYMENT + "---\n" + redis) == []
    assert any("8080" in p for p in _problems(tmp_path, DEPLOYMENT, listen_port=8080))


def test_stub_packages_the_workflow_installs_but_this_environment_lacks(tmp_path: Path) -> None:
    from stage5_grading.probes_cicd import _missing_stub_packages

    workflow = _write(
        tmp_path / ".github" / "workflows" / "ci.yml",
        "jobs:\n  t:\n    steps:\n      - run: pip install -r requirements.txt mypy "
        "types-redis types-PyYAML\n",
    )
    _write(tmp_path / "requirements.txt", "fastapi\ntypes-requests-not-a-real-package\n")
    files = ImplFiles(
        root=tmp_path,
        is_reference=False,
        module="main",
        app_dir=tmp_path,
        dockerfile=None,
        workflows=[workflow],
    )
    missing = _missing_stub_packages(files, tmp_path)
    assert "types-redis" in missing  # not in the workspace: mypy here lacks its stubs
    assert "types-requests-not-a-real-package" in missing
    assert "types-pyyaml" not in missing  # installed in the workspace (ruff/mypy use it)
