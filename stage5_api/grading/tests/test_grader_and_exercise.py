"""The grader's shape, the nginx config it generates, the exercise skeleton, and __all__."""

from __future__ import annotations

import importlib
import importlib.util
from pathlib import Path

import httpx

from gradekit.stages import STAGES, GradeContext
from stage5_api import grading
from stage5_api.loadtest.lb import nginx_config
from stage5_api.loadtest.wrk import WrkResult

STAGE_DIR = Path(__file__).resolve().parents[1]


def _context(work_dir: Path) -> GradeContext:
    """The grading context ``make check-stage5`` builds for our own implementation."""
    return GradeContext(
        stage=STAGES["stage5"],
        impl_spec="",
        default_impl=grading.DEFAULT_IMPL,
        module_hint=grading.MODULE_HINT,
        work_dir=work_dir,
    )


def test_grader_declares_the_five_roadmap_criteria(tmp_path: Path) -> None:
    ctx = _context(tmp_path)
    checks = grading.build_checks(ctx)
    assert [c.criterion.id for c in checks] == [
        "latency",
        "concurrency",
        "availability",
        "monitoring",
        "cicd",
    ]
    assert all(c.criterion.title_ko for c in checks)
    assert grading.DEFAULT_IMPL == "stage5_api.main" and grading.MODULE_HINT == "main"


def test_nginx_config_balances_all_replicas_and_retries(tmp_path: Path) -> None:
    text = nginx_config(8080, [9001, 9002, 9003], tmp_path)
    assert "listen 127.0.0.1:8080" in text
    for port in (9001, 9002, 9003):
        assert f"server 127.0.0.1:{port} max_fails=1" in text
    assert "proxy_next_upstream error timeout http_502 http_503 http_504 non_idempotent" in text
    assert f"pid {tmp_path}/nginx.pid" in text


async def test_exercise_skeleton_fails_cleanly() -> None:
    spec = importlib.util.spec_from_file_location(
        "stage5_exercise_main", STAGE_DIR / "exercise" / "main.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    transport = httpx.ASGITransport(app=module.app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        response = await client.post("/predict", json={"features": [0.1] * 10})
    assert response.status_code != 200  # the TODO returns nothing: no PredictionResponse


def test_public_modules_declare_sorted_all() -> None:
    names = [
        "stage5_api",
        "stage5_api.errors",
        "stage5_api.models",
        "stage5_api.core.config",
        "stage5_api.services.batcher",
        "stage5_api.services.cache",
        "stage5_api.services.model_store",
        "stage5_api.services.registry",
        "stage5_api.services.jobs",
        "stage5_api.services.paths",
        "stage5_api.services.metrics",
        "stage5_api.loadtest.wrk",
        "stage5_api.loadtest.openloop",
        "stage5_api.loadtest.lb",
        "stage5_api.loadtest.server",
    ]
    for name in names:
        module = importlib.import_module(name)
        exported = module.__all__
        assert exported == sorted(exported, key=str.casefold) or exported == sorted(exported), name
        for attr in exported:
            assert hasattr(module, attr), (name, attr)


def _wrk(rps: float, p99_ms: float, requests: int) -> WrkResult:
    return WrkResult(
        connections=1000,
        duration_s=10.0,
        requests=requests,
        rps=rps,
        p50_ms=50.0,
        p90_ms=80.0,
        p99_ms=p99_ms,
        max_ms=400.0,
        statuses={"200": requests},
        socket_errors=0,
        timeouts=0,
    )


def test_scorecard_explains_the_closed_loop_figure(tmp_path: Path) -> None:
    ctx = _context(tmp_path)
    session = grading._Session(ctx)
    session.cpu = {"server_cpu_s": 10.0, "machine_cpu_s": 18.0}
    gc_line = 'stage5_gc_pause_seconds_{}{{generation="2"}} {}'
    session.metrics_before = "\n".join([gc_line.format("count", 3), gc_line.format("sum", 0.5)])
    session.metrics_after = "\n".join([gc_line.format("count", 7), gc_line.format("sum", 1.7)])
    explained = grading._explain_closed_loop(session, _wrk(5000.0, 600.0, 50_000))
    assert explained["little_mean_ms"] == 200.0  # 1000 in flight / 5000 req/s
    assert explained["p99_over_mean"] == 3.0
    assert explained["rps_needed_for_100ms"] == 10_000
    assert explained["server_cpu_us_per_request"] == 200.0
    assert explained["gc_pauses"]["2"]["count"] == 4
    assert "gen2: 4 (1200 ms)" in explained["text"]
    assert "everything else (wrk, other processes) 8.0 s" in explained["text"]


def test_gc_pauses_are_empty_for_an_app_without_the_metric() -> None:
    assert grading._gc_pauses("", "stage5_http_requests_total 3") == {}
