"""Grader of stage 3 (``make check-stage3``): the roadmap's four criteria, measured for real.

It starts a fresh MLflow tracking server (SQLite in ``reports/stage3/``, free port), then drives
the implementation only through the roadmap interface: ``RecommendationMLOps(name)``,
``train_model(X, y, hyperparams)``, ``deploy_best_model(metric=...)``,
``monitor_model_performance(window)`` and ``rollback()``. Everything it asserts it reads back
from the server's REST API or from served predictions, never from the implementation's objects.
"""

from __future__ import annotations

import atexit
import itertools
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import mlflow
import pandas as pd
from mlflow.tracking import MlflowClient

from gradekit import Check, Comparison, Criterion, GradeContext, Measurement
from gradekit.browser import screenshot
from gradekit.errors import BrowserError, ToolMissing
from stage3_mlops.data import DriftSpec, GeneratorConfig, generate_interactions
from stage3_mlops.grid import DEFAULT_GRID
from stage3_mlops.servers import (
    ModelServer,
    ServerProcess,
    TrackingServer,
    find_free_port,
    mlflow_env,
    predict_over_http,
)

__all__ = ["DEFAULT_IMPL", "MODULE_HINT", "TITLE", "build_checks"]

TITLE = "Stage 3 — ML model development & management (MLOps recommender)"
DEFAULT_IMPL = "stage3_mlops"
MODULE_HINT = "mlops"
REPO_ROOT = Path(__file__).resolve().parents[3]
METRIC = "ndcg_at_10"

UI = Criterion(
    id="mlflow_ui",
    title="Experiment results visualised in the MLflow UI",
    title_ko="MLflow UI에서 실험 결과 시각화",
    method=(
        "train the 12-run grid through train_model on the repo's tracking server; count runs with "
        "metrics via REST runs/search, find the registered model via REST, and save a headless "
        "Chromium screenshot of the experiment page"
    ),
    threshold=10,
    unit="runs",
    comparison=Comparison.AT_LEAST,
)
ROLLBACK = Criterion(
    id="rollback",
    title="Model version management and rollback",
    title_ko="모델 버전 관리 및 롤백",
    method=(
        "promote v1 (popularity) then v2 (EASE) with deploy_best_model, serve @champion, "
        "rollback(); champion must point to v1 and the re-served predictions must equal v1's"
    ),
)
DRIFT = Criterion(
    id="drift",
    title="Automatic detection of performance drift",
    title_ko="성능 드리프트 자동 감지",
    method=(
        "monitor 4 weekly windows of stable data and 4 of drifted data (taste shift + new items "
        "from week 9); stable must log no new model, drift must log a retrained model within 2 windows"
    ),
)
DOCKER = Criterion(
    id="docker",
    title="Model served from a Docker container",
    title_ko="Docker 컨테이너로 모델 서빙",
    method=(
        "hadolint deploy/model-server/Dockerfile; run the Dockerfile's CMD outside a container "
        "(no Docker engine here) and call /invocations on loopback"
    ),
)


class _Session:
    """The tracking server and the implementation, shared by the four checks."""

    def __init__(self, ctx: GradeContext) -> None:
        self.ctx = ctx
        self.folder = ctx.work_dir / "mlflow"
        self.server: TrackingServer | None = None

    @property
    def url(self) -> str:
        if self.server is None:
            shutil.rmtree(self.folder, ignore_errors=True)  # every grade starts from an empty store
            self.server = TrackingServer.sqlite(self.folder)
            self.server.start()
            atexit.register(self.server.stop)
            os.environ["MLFLOW_TRACKING_URI"] = self.server.url
            mlflow.set_tracking_uri(self.server.url)
        return self.server.url

    def stop(self) -> None:
        if self.server is not None:
            self.server.stop()

    def mlops(self, experiment: str) -> Any:
        """The implementation's ``RecommendationMLOps`` for a fresh experiment."""
        cls = self.ctx.load().RecommendationMLOps
        url = self.url
        try:
            return cls(experiment, tracking_uri=url, registered_model_name=f"{experiment}-model")
        except TypeError:  # the roadmap's one-argument constructor is fine too
            mlflow.set_tracking_uri(url)
            return cls(experiment)

    def client(self) -> MlflowClient:
        return MlflowClient(tracking_uri=self.url)

    def registered_model_of(self, experiment_id: str) -> str | None:
        """The registered model whose versions come from this experiment's runs (REST)."""
        client = self.client()
        run_ids = {r.info.run_id for r in client.search_runs([experiment_id], max_results=1000)}
        for model in client.search_registered_models():
            for version in client.search_model_versions(f"name = '{model.name}'"):
                if version.run_id in run_ids:
                    return str(model.name)
        return None

    def champion(self, name: str) -> str | None:
        try:
            return str(self.client().get_model_version_by_alias(name, "champion").version)
        except mlflow.exceptions.MlflowException:
            return None

    def logged_models(self, experiment_id: str) -> int:
        return len(self.client().search_logged_models(experiment_ids=[experiment_id]))


def _data(seed: int, *, days: int = 35, drift: DriftSpec | None = None) -> pd.DataFrame:
    return generate_interactions(
        GeneratorConfig(n_users=300, n_items=150, n_days=days, seed=seed, drift=drift)
    )


def _experiment_id(url: str, name: str) -> str:
    response = httpx.get(
        f"{url}/api/2.0/mlflow/experiments/get-by-name", params={"experiment_name": name}
    )
    response.raise_for_status()
    return str(response.json()["experiment"]["experiment_id"])


def measure_ui(session: _Session) -> Measurement:
    """Criterion 1: ≥10 runs with metrics, a registered model, and a UI screenshot."""
    name = "grade-ui"
    mlops = session.mlops(name)
    data = _data(7)
    for params in DEFAULT_GRID:
        mlops.train_model(data, None, dict(params))
    mlops.deploy_best_model(metric=METRIC)
    url = session.url
    exp_id = _experiment_id(url, name)
    runs = httpx.post(
        f"{url}/api/2.0/mlflow/runs/search", json={"experiment_ids": [exp_id], "max_results": 1000}
    ).json()
    with_metrics = [r for r in runs.get("runs", []) if r["data"].get("metrics")]
    model = session.registered_model_of(exp_id)
    shot = session.ctx.work_dir / "mlflow_ui.png"
    shot_note = _screenshot(f"{url}/#/experiments/{exp_id}/runs", shot)
    ok_shot = shot.exists() and shot.stat().st_size > 10_000
    return Measurement(
        value=len(with_metrics),
        passed=len(with_metrics) >= 10 and model is not None and ok_shot,
        evidence=(
            f"{len(with_metrics)} runs with metrics in experiment {name!r} (REST runs/search); "
            f"registered model: {model or 'none'}; screenshot: {shot_note}"
        ),
        details={"experiment_id": exp_id, "registered_model": model, "screenshot": str(shot)},
    )


def _screenshot(url: str, target: Path) -> str:
    """A PNG of the MLflow UI (gradekit's headless Chromium), or why there is none."""
    try:
        shot = screenshot(url, target, wait_ms=30_000, size="2400,1100", timeout_s=180)
    except (ToolMissing, BrowserError, subprocess.TimeoutExpired) as exc:
        return f"no screenshot: {exc}"
    return f"{shot.name} ({shot.stat().st_size // 1024} KiB)"


def measure_rollback(session: _Session) -> Measurement:
    """Criterion 2: v1 → v2 → rollback, checked in the registry and in served predictions."""
    name = "grade-rollback"
    mlops = session.mlops(name)
    data = _data(3)
    mlops.train_model(data, None, {"model": "popularity"})
    mlops.deploy_best_model(metric=METRIC)
    mlops.train_model(data, None, {"model": "ease", "l2": 100.0})
    mlops.deploy_best_model(metric=METRIC)
    exp_id = _experiment_id(session.url, name)
    model = session.registered_model_of(exp_id)
    if model is None:
        return Measurement(value=False, evidence="no registered model came from the experiment")
    after_promotions = session.champion(model)
    users = [int(u) for u in data["user_id"].drop_duplicates().head(5)] + [10_000_000]
    served_v2 = _serve_and_predict(session, f"models:/{model}@champion", users, "serve-v2.log")
    mlops.rollback()
    after_rollback = session.champion(model)
    served_after = _serve_and_predict(session, f"models:/{model}@champion", users, "serve-rb.log")
    v1 = mlflow.pyfunc.load_model(f"models:/{model}/1").predict(
        pd.DataFrame({"user_id": users}), params={"k": 10}
    )
    v1_lists = [
        [int(i) for i in v1[v1["user_id"] == u].sort_values("rank")["item_id"]] for u in users
    ]
    passed = (
        after_promotions == "2"
        and after_rollback == "1"
        and served_after == v1_lists
        and served_after != served_v2
    )
    return Measurement(
        value=passed,
        evidence=(
            f"champion after two promotions: v{after_promotions}; after rollback(): "
            f"v{after_rollback}; served top-10 changed: {served_after != served_v2}; "
            f"equals v1's predictions: {served_after == v1_lists}"
        ),
        details={"model": model, "users": users},
    )


def _serve_and_predict(
    session: _Session, model_uri: str, users: list[int], log_name: str
) -> list[list[int]]:
    with ModelServer(
        model_uri, tracking_uri=session.url, log_path=session.ctx.work_dir / log_name
    ) as server:
        return predict_over_http(server.url, users, k=10)


def measure_drift(session: _Session) -> Measurement:
    """Criterion 3: stable windows retrain nothing; drifted windows retrain within 2 windows."""
    outcome: dict[str, list[int]] = {}
    drift = DriftSpec(start_day=56, taste_shift=0.5, new_items=20)
    for scenario, spec in (("stable", None), ("drift", drift)):
        name = f"grade-drift-{scenario}"
        mlops = session.mlops(name)
        data = _data(11, days=84, drift=spec)
        day = (data["timestamp"] - data["timestamp"].min()).dt.days
        mlops.train_model(data[day < 56], None, {"model": "ease", "l2": 200.0})
        mlops.deploy_best_model(metric=METRIC)
        exp_id = _experiment_id(session.url, name)
        counts = [session.logged_models(exp_id)]
        for week in range(4):
            window = data[(day >= 56 + 7 * week) & (day < 63 + 7 * week)]
            mlops.monitor_model_performance(window)
            counts.append(session.logged_models(exp_id))
        outcome[scenario] = [b - a for a, b in itertools.pairwise(counts)]
    stable_retrains = sum(outcome["stable"])
    first = next((i for i, n in enumerate(outcome["drift"]) if n > 0), None)
    passed = stable_retrains == 0 and first is not None and first <= 1
    return Measurement(
        value=passed,
        evidence=(
            f"stable data: {stable_retrains} retraining run(s) over 4 windows; drifted data: "
            + (f"retrained in window {first + 1} of 4" if first is not None else "never retrained")
            + f" (new models per window: stable {outcome['stable']}, drift {outcome['drift']})"
        ),
        details=outcome,
    )


def measure_docker(session: _Session) -> Measurement:
    """Criterion 4: hadolint passes and the image's CMD serves the champion on loopback."""
    dockerfile = Path(
        session.ctx.option("dockerfile", str(REPO_ROOT / "deploy/model-server/Dockerfile"))
    )
    hadolint = Path(sys.executable).parent / "hadolint"
    lint = subprocess.run(
        [str(hadolint), str(dockerfile)], capture_output=True, text=True, check=False
    )
    cmd = _dockerfile_cmd(dockerfile)
    name = "grade-docker"
    mlops = session.mlops(name)
    data = _data(5)
    mlops.train_model(data, None, {"model": "ease", "l2": 100.0})
    mlops.deploy_best_model(metric=METRIC)
    model = session.registered_model_of(_experiment_id(session.url, name))
    lint_note = "clean" if lint.returncode == 0 else lint.stdout.strip()[:300]
    if model is None:
        return Measurement(
            value=False,
            evidence=f"hadolint: {lint_note}; no champion to serve: deploy_best_model registered no model",
        )
    port = find_free_port()
    args = [sys.executable if a in ("python", "python3") else a for a in cmd]
    env = mlflow_env(
        {
            "HOST": "127.0.0.1",
            "PORT": str(port),
            "MODEL_URI": f"models:/{model}@champion",
            "MLFLOW_TRACKING_URI": session.url,
        }
    )
    users = [int(u) for u in data["user_id"].drop_duplicates().head(3)]
    with ServerProcess(
        args,
        url=f"http://127.0.0.1:{port}",
        probe="/ping",
        log_path=session.ctx.work_dir / "docker-cmd.log",
        env=env,
    ) as server:
        served = predict_over_http(server.url, users, k=5)
    docker = _docker_status()
    ok_served = len(served) == len(users) and all(len(items) == 5 for items in served)
    return Measurement(
        value=lint.returncode == 0 and ok_served,
        evidence=(
            f"hadolint: {lint_note}; "
            f"CMD {cmd} served top-5 for {len(served)} users on loopback: {ok_served}; {docker}"
        ),
        details={"served": served, "cmd": cmd},
    )


def _dockerfile_cmd(path: Path) -> list[str]:
    lines = [line.strip() for line in path.read_text(encoding="utf-8").splitlines()]
    cmds = [line.removeprefix("CMD").strip() for line in lines if line.startswith("CMD ")]
    if not cmds:
        raise ValueError(f"{path} has no CMD instruction")
    cmd = json.loads(cmds[-1])
    if not isinstance(cmd, list):
        raise ValueError(f"{path}: CMD must use the exec (JSON array) form")
    return [str(a) for a in cmd]


def _docker_status() -> str:
    if shutil.which("docker") is None:
        return "Docker is not available on this machine: the image was NOT built or run"
    info = subprocess.run(["docker", "info"], capture_output=True, check=False)
    if info.returncode != 0:
        return "docker CLI found but no engine answers: the image was NOT built or run"
    return "a Docker engine is available, but this grader runs the CMD outside a container"


def build_checks(ctx: GradeContext) -> list[Check]:
    """The four criteria; the tracking server is started by the first and stopped by the last."""
    session = _Session(ctx)

    def docker() -> Measurement:
        try:
            return measure_docker(session)
        finally:
            session.stop()

    return [
        Check(UI, lambda: measure_ui(session)),
        Check(ROLLBACK, lambda: measure_rollback(session)),
        Check(DRIFT, lambda: measure_drift(session)),
        Check(DOCKER, docker),
    ]
