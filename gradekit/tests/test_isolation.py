"""Learner code runs in a child: its exceptions, exits, crashes and hangs become verdicts."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from gradekit import GradeContext, StageInfo
from gradekit.isolation import run_isolated
from gradekit.result import ErrorSource

LEARNER = """
import os, pickle, sys, time

class Model:
    def __init__(self, k):
        self.k = k

def ok():
    return 42

def boom():
    raise ValueError("learner bug")

def leave():
    sys.exit(3)

def die():
    os._exit(9)

def hang():
    while True:
        time.sleep(0.05)

def roundtrip():
    return pickle.loads(pickle.dumps(Model(5))).k
"""

PROBES = """
from gradekit import Measurement

def call(ctx, func):
    value = getattr(ctx.load(), func)()
    return Measurement(value=value, evidence=f"{func} returned {value!r}")

def grader_bug(ctx):
    ctx.load()
    return None["x"]

def pickled_name(ctx):
    return Measurement(value=type(ctx.load().Model(1)).__module__, evidence="")
"""


@pytest.fixture
def ctx(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> GradeContext:
    impl, probes = tmp_path / "impl", tmp_path / "grader"
    impl.mkdir()
    probes.mkdir()
    (impl / "mlops.py").write_text(textwrap.dedent(LEARNER))
    (probes / "isolation_probes.py").write_text(textwrap.dedent(PROBES))
    monkeypatch.setenv("PYTHONPATH", str(probes))  # the grader's probes, apart from the learner's
    return GradeContext(
        stage=StageInfo("stage9", "json", "Stage 9", "—"),
        impl_spec=str(impl),
        default_impl="json",
        module_hint="mlops",
        work_dir=tmp_path / "work",
    )


def _run(ctx: GradeContext, func: str, timeout_s: float = 60):
    return run_isolated(ctx, "isolation_probes:call", timeout_s=timeout_s, name=func, func=func)


def test_a_verdict_crosses_the_process_boundary(ctx) -> None:
    m = _run(ctx, "ok")
    assert m.value == 42 and m.error is None


def test_the_learners_exception_names_their_frame(ctx) -> None:
    m = _run(ctx, "boom")
    assert m.passed is False and m.error_source is ErrorSource.IMPLEMENTATION
    assert "learner bug" in m.evidence and "mlops.py" in m.evidence and "boom()" in m.evidence


def test_sys_exit_is_a_failed_check_not_a_dead_grader(ctx) -> None:
    m = _run(ctx, "leave")
    assert m.error_source is ErrorSource.IMPLEMENTATION and "sys.exit" in m.evidence


def test_os_exit_is_reported_as_a_crash_with_its_code(ctx) -> None:
    m = _run(ctx, "die")
    assert m.error_source is ErrorSource.CRASH and "exit code 9" in m.evidence


@pytest.mark.slow
def test_a_hang_is_stopped_at_the_limit_and_located(ctx) -> None:
    # The limit counts from the child's start, imports included: on a machine at load 40 the
    # child took over 4 s to reach hang(), and the stack then showed the import instead.
    m = _run(ctx, "hang", timeout_s=15)
    assert m.error_source is ErrorSource.TIMEOUT
    assert "hang()" in m.evidence and "mlops.py" in m.evidence


def test_a_grader_bug_is_not_blamed_on_the_learner(ctx) -> None:
    m = run_isolated(ctx, "isolation_probes:grader_bug", timeout_s=60)
    assert m.error_source is ErrorSource.GRADER and "grader" in m.evidence


def test_the_implementation_keeps_its_own_module_name(ctx) -> None:
    assert _run(ctx, "roundtrip").value == 5
    m = run_isolated(ctx, "isolation_probes:pickled_name", timeout_s=60)
    assert m.value == "mlops"  # so pickles (and MLflow pyfunc models) load it back by name
