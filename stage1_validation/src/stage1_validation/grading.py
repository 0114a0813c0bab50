"""Stage 1 grader: the roadmap's four criteria plus correctness, measured (``make check-stage1``).

Options (``GRADE_OPTS="--opt rows=20000"``): ``rows`` sizes the generated dataset of the
correctness checks (default 20000).
"""

from __future__ import annotations

from gradekit.criterion import Comparison, Criterion
from gradekit.runner import Check
from gradekit.stages import GradeContext
from stage1_validation.grading_probes import (
    probe_context_managers,
    probe_correctness,
    probe_exceptions,
    probe_performance_monitor,
    probe_polymorphism,
)

__all__ = ["DEFAULT_IMPL", "MODULE_HINT", "TITLE", "build_checks"]

TITLE = "Stage 1 — Python fundamentals: data validation"
DEFAULT_IMPL = "stage1_validation"
MODULE_HINT: str | None = "validator"

CRITERIA = {
    "inheritance": Criterion(
        id="inheritance",
        title="Uses class inheritance and polymorphism",
        title_ko="클래스 상속과 다형성 활용",
        method=(
            "find the class with the most concrete subclasses in the implementation (must be "
            "abstract, >= 3 rules); define a new subclass now, register it (register_rule if "
            "exposed), reference it from a rules file and check the report runs it (3 failing rows)"
        ),
    ),
    "context_managers": Criterion(
        id="context_managers",
        title="Safe file handling with context managers",
        title_ko="컨텍스트 매니저를 사용한 안전한 파일 처리",
        method=(
            "psutil open files/fds before and after process_large_dataset on a CSV that breaks "
            "(invalid UTF-8) at row 60000, and DataValidator on a non-UTF-8 rules file; "
            "write_report with a value that fails midway must leave no file behind"
        ),
    ),
    "custom_exceptions": Criterion(
        id="custom_exceptions",
        title="Custom exception classes",
        title_ko="커스텀 예외 클래스 구현",
        method=(
            "6 bad inputs (malformed YAML, unknown rule, missing column, empty file, non-UTF-8 "
            "file, wrong parameter type): each must raise the implementation's own exception "
            "(a ConfigError when it defines one), all under one custom base, naming the input"
        ),
        threshold=6,
        unit="of 6 inputs",
        comparison=Comparison.AT_LEAST,
    ),
    "performance_monitor": Criterion(
        id="performance_monitor",
        title="A performance-measuring decorator",
        title_ko="성능 측정 데코레이터 구현",
        method=(
            "decorate a 200 ms sleep and a 200 MiB allocation; read the reported wall time and "
            "peak memory (last_record() if exposed, else the logged text); worst relative error "
            "of the median of 3 runs"
        ),
        threshold=10,
        unit="% error",
        comparison=Comparison.AT_MOST,
    ),
    "correctness_whole": Criterion(
        id="correctness_whole",
        title="Finds every injected error and nothing else (whole frame)",
        title_ko="주입된 오류를 모두, 그리고 그것만 찾아냄 (전체 프레임)",
        method=(
            "generated orders with labelled errors for 13 rules of 10 types; min(precision, "
            "recall) over (rule, row) pairs from the report's samples"
        ),
        threshold=100,
        unit="%",
        comparison=Comparison.AT_LEAST,
    ),
    "correctness_chunked": Criterion(
        id="correctness_chunked",
        title="Finds every injected error and nothing else (chunked file)",
        title_ko="주입된 오류를 모두, 그리고 그것만 찾아냄 (청크 처리)",
        method=(
            "the same data as CSV through process_large_dataset(path, rules, chunk_size=rows/7); "
            "duplicate keys straddle chunks"
        ),
        threshold=100,
        unit="%",
        comparison=Comparison.AT_LEAST,
    ),
}


def build_checks(ctx: GradeContext) -> list[Check]:
    """One check per criterion; each loads the implementation through ``ctx.load()``."""
    rows = int(ctx.option("rows", "20000"))
    work = ctx.work_dir
    return [
        Check(CRITERIA["inheritance"], lambda: probe_polymorphism(ctx.load(), work)),
        Check(CRITERIA["context_managers"], lambda: probe_context_managers(ctx.load(), work)),
        Check(CRITERIA["custom_exceptions"], lambda: probe_exceptions(ctx.load(), work)),
        Check(CRITERIA["performance_monitor"], lambda: probe_performance_monitor(ctx.load(), work)),
        Check(
            CRITERIA["correctness_whole"],
            lambda: probe_correctness(ctx.load(), work, rows=rows, chunked=False),
        ),
        Check(
            CRITERIA["correctness_chunked"],
            lambda: probe_correctness(ctx.load(), work, rows=rows, chunked=True),
        ),
    ]
