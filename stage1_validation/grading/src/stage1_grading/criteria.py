"""Stage 1's criteria: the roadmap's four check-boxes, plus correctness whole and chunked."""

from __future__ import annotations

from gradekit.criterion import Comparison, Criterion

__all__ = ["CRITERIA"]

CRITERIA: dict[str, Criterion] = {
    "inheritance": Criterion(
        id="inheritance",
        title="Uses class inheritance and polymorphism",
        title_ko="클래스 상속과 다형성 활용",
        method=(
            "the rule built for {rule: not_null} (validation_rules) leads to your base class, "
            "which needs >= 3 concrete rule subclasses; a subclass of your not_null rule written "
            "now, registered with register_rule and named in a rules file, must be run by "
            "validate_dataset through its methods (rows 0, 2, 4 fail on marked data, none on "
            "unmarked)"
        ),
    ),
    "context_managers": Criterion(
        id="context_managers",
        title="Safe file handling with context managers",
        title_ko="컨텍스트 매니저를 사용한 안전한 파일 처리",
        method=(
            "DataValidator on a good, a non-UTF-8 and a malformed rules file; process_large_dataset "
            "on a good CSV, one that stops being UTF-8 at row 3000, and with rules naming a missing "
            "column: no file left open while the failure is alive (GC paused), none ever left "
            "unclosed (ResourceWarning); write_report: a good report reads back equal; a value "
            "that fails midway, or a disk that fills up (RLIMIT_FSIZE), leaves no partial file "
            "and no temp file (the previous report, or none)"
        ),
    ),
    "custom_exceptions": Criterion(
        id="custom_exceptions",
        title="Custom exception classes",
        title_ko="커스텀 예외 클래스 구현",
        method=(
            "8 bad inputs (malformed YAML, unknown rule, missing column, empty file, non-UTF-8 "
            "file, wrong parameter type, missing rules file, missing data file): each raises one "
            "of your own exception classes naming the input; the classes raised share a custom "
            "base, and all your exception classes have one custom root"
        ),
        threshold=8,
        unit="of 8 inputs",
        comparison=Comparison.AT_LEAST,
    ),
    "performance_monitor": Criterion(
        id="performance_monitor",
        title="A performance-measuring decorator",
        title_ko="성능 측정 데코레이터 구현",
        method=(
            "decorate the grader's workloads (waits of 0.3 s and 0.1 s, 160 MiB freed and 48 MiB "
            "kept); read wall_s and peak_mb from last_record() / func.last_record or a printed "
            "'wall_s=... peak_mb=...' line; time must lie between the time inside the function "
            "and the whole call, memory within 10% of the allocation; return value, exceptions, "
            "__name__/__doc__ kept, tracemalloc left as found"
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
            "generated orders with labelled errors for 14 rules of 10 types: each rule's failing "
            "rows and failing_count equal its labels, report['passed'] False; then the same orders "
            "with only the warning rules' errors left, through the same validator: those rows "
            "listed, nothing else flagged, report['passed'] True; the DataFrame given must come "
            "back unchanged. min(precision, recall) over (rule, row)"
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
            "the same orders as CSV through process_large_dataset(path, rules, chunk_size=rows/6.5), "
            "duplicate keys straddling chunks; 'index' is the row's 0-based position in the file; "
            "same checks as the whole frame, warnings-only file included"
        ),
        threshold=100,
        unit="%",
        comparison=Comparison.AT_LEAST,
    ),
}
