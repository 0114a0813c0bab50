"""The grader's shape, the exercise skeleton, and the public modules' ``__all__``."""

from __future__ import annotations

import importlib
import importlib.util
from pathlib import Path

import httpx

import stage5_grading
from gradekit.criterion import Criterion
from gradekit.stages import STAGES, GradeContext

STAGE_DIR = Path(__file__).resolve().parents[2]


def _context(work_dir: Path, impl: str = "") -> GradeContext:
    """The grading context ``make check-stage5`` builds."""
    return GradeContext(
        stage=STAGES["stage5"],
        impl_spec=impl,
        default_impl=stage5_grading.DEFAULT_IMPL,
        module_hint=stage5_grading.MODULE_HINT,
        work_dir=work_dir,
    )


def test_grader_declares_the_five_roadmap_criteria_and_the_container(tmp_path: Path) -> None:
    checks = stage5_grading.build_checks(_context(tmp_path))
    ids = ["latency", "concurrency", "availability", "monitoring", "cicd", "container"]
    assert [c.criterion.id for c in checks] == ids
    assert list(stage5_grading.CRITERIA) == ids
    assert all(isinstance(c, Criterion) and c.title_ko for c in stage5_grading.CRITERIA.values())
    assert stage5_grading.DEFAULT_IMPL == "stage5_api.main"
    assert stage5_grading.MODULE_HINT == "main"


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


def test_exercise_skeleton_has_the_documented_layout() -> None:
    exercise = STAGE_DIR / "exercise"
    for name in (
        "main.py",
        "Dockerfile",
        "requirements.txt",
        ".github/workflows/ci.yml",
        "k8s/deployment.yaml",
        "tests/test_api.py",
        "README.md",
    ):
        assert (exercise / name).is_file(), name


def test_the_product_holds_no_grader_or_load_rig() -> None:
    src = STAGE_DIR / "src" / "stage5_api"
    assert not (src / "grading.py").exists()
    assert not (src / "loadtest").exists()
    for path in src.rglob("*.py"):
        for line in path.read_text(encoding="utf-8").splitlines():
            words = line.split()
            if words[:1] in (["import"], ["from"]) and len(words) > 1:
                assert words[1].split(".")[0] not in ("gradekit", "stage5_grading"), path


def _isort_style(name: str) -> tuple[int, str]:
    """ruff's RUF022 order: CONSTANTS, then Classes, then functions."""
    return (0 if name.isupper() else 1 if name[:1].isupper() else 2, name)


def test_public_modules_declare_sorted_all() -> None:
    names = [
        "stage5_grading",
        "stage5_grading.ci_run",
        "stage5_grading.cpu",
        "stage5_grading.criteria",
        "stage5_grading.dashboard",
        "stage5_grading.dockerfile",
        "stage5_grading.launch",
        "stage5_grading.layout",
        "stage5_grading.manifests",
        "stage5_grading.metrics_text",
        "stage5_grading.options",
        "stage5_grading.probes_availability",
        "stage5_grading.probes_cicd",
        "stage5_grading.pod_spec",
        "stage5_grading.probes_concurrency",
        "stage5_grading.probes_container",
        "stage5_grading.probes_latency",
        "stage5_grading.probes_monitoring",
        "stage5_grading.record",
        "stage5_grading.serving",
        "stage5_grading.workflow",
        "stage5_grading.loadtest.burst",
        "stage5_grading.loadtest.lb",
        "stage5_grading.loadtest.openloop",
        "stage5_grading.loadtest.proxy",
        "stage5_grading.loadtest.server",
        "stage5_grading.loadtest.wrk",
    ]
    for name in names:
        module = importlib.import_module(name)
        exported = module.__all__
        assert exported in (sorted(exported), sorted(exported, key=_isort_style)), name
        for attr in exported:
            assert hasattr(module, attr), (name, attr)
