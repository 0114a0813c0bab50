"""Run one grading task against an implementation in a subprocess and print a JSON result.

The grader starts ``python -m stage2_log_analysis.probe TASK --impl SPEC ...`` so it can sample
the RSS of the whole process tree (Dask workers included) and so a crash in the learner's code
fails one criterion instead of the grader. The last line of stdout is the JSON result.

Tasks::

    stream PATH [CHUNK]      LogAnalyzer(CHUNK).process_logs_stream(PATH): per-minute counts
    anomalies PATH           stream PATH into one Dask DataFrame, then detect_anomalies(ddf)
    analyze PATH ENGINE N    LogAnalyzer().analyze(PATH, engine=ENGINE, n_workers=N)
    baseline PATH            the repo's naive pandas baseline (no implementation involved)
    follow PATH              LogAnalyzer().follow(PATH): one JSON line per closed minute
"""

from __future__ import annotations

import json
import sys
import time
import traceback
from collections import Counter
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

# Heavy imports (pandas, gradekit) happen inside the tasks: Dask spawns its worker processes
# by re-importing this module, and the workers should stay small.

__all__ = ["main"]

DEFAULT_IMPL = "stage2_log_analysis"
MODULE_HINT = "log_analyzer"


def _emit(payload: dict[str, Any]) -> None:
    print(json.dumps(payload, default=str), flush=True)


def _counts_of(chunk: pd.DataFrame, counts: Counter[tuple[int, int]]) -> int:
    """Add a records chunk to (minute epoch s, status class) counts; return its row count."""
    import pandas as pd

    minute = pd.to_datetime(chunk["timestamp"], utc=True).dt.floor("min")
    keys = pd.DataFrame(
        {
            "m": (minute - pd.Timestamp(0, tz="UTC")).dt.total_seconds().astype("int64"),
            "c": chunk["status"] // 100,
        }
    )
    grouped = keys.groupby(["m", "c"]).size()
    for m, c, n in zip(
        grouped.index.get_level_values("m").tolist(),
        grouped.index.get_level_values("c").tolist(),
        grouped.tolist(),
        strict=True,
    ):
        counts[(int(m), int(c))] += int(n)
    return len(chunk)


def task_stream(module: Any, path: str, chunk_size: str = "10000") -> dict[str, Any]:
    analyzer = module.LogAnalyzer(int(chunk_size))
    counts: Counter[tuple[int, int]] = Counter()
    rows = chunks = max_chunk = 0
    for chunk in analyzer.process_logs_stream(path):
        n = _counts_of(chunk, counts)
        rows += n
        chunks += 1
        max_chunk = max(max_chunk, n)
    return {
        "rows": rows,
        "chunks": chunks,
        "max_chunk": max_chunk,
        "counts": [[m, c, n] for (m, c), n in sorted(counts.items())],
    }


def task_anomalies(module: Any, path: str) -> dict[str, Any]:
    import dask.dataframe as dd
    import pandas as pd

    analyzer = module.LogAnalyzer(50_000)
    records = pd.concat(list(analyzer.process_logs_stream(path)), ignore_index=True)
    ddf = dd.from_pandas(records, npartitions=8)
    del records
    flags = analyzer.detect_anomalies(ddf)
    frame = flags.compute() if hasattr(flags, "compute") else pd.DataFrame(flags)
    return {"anomalies": frame.to_dict("records")}


def task_analyze(module: Any, path: str, engine: str, workers: str) -> dict[str, Any]:
    analyzer = module.LogAnalyzer()
    if not hasattr(analyzer, "analyze"):
        raise AttributeError(
            "LogAnalyzer has no analyze(path, engine=..., n_workers=...) method: "
            "the Dask criterion needs it (see the stage README)"
        )
    started = time.perf_counter()
    result = analyzer.analyze(path, engine=engine, n_workers=int(workers))
    total = time.perf_counter() - started
    minutes = getattr(result, "minutes", None)
    requests = int(minutes["requests"].sum()) if minutes is not None else None
    # Cluster start-up is reported apart when the implementation reports it (ours does).
    startup = float(getattr(getattr(result, "report", None), "startup_seconds", 0.0) or 0.0)
    return {
        "seconds": total - startup,
        "startup_seconds": startup,
        "total_seconds": total,
        "requests": requests,
    }


def task_baseline(path: str) -> dict[str, Any]:
    from stage2_log_analysis.baseline import analyze_naive

    started = time.perf_counter()
    table = analyze_naive(path)
    return {"seconds": time.perf_counter() - started, "requests": int(table["requests"].sum())}


def task_follow(module: Any, path: str) -> dict[str, Any]:
    import pandas as pd

    analyzer = module.LogAnalyzer()
    _emit({"ready": time.time()})
    for frame in analyzer.follow(path):
        now = time.time()
        for row in frame.to_dict("records"):
            minute = pd.Timestamp(row["minute"])
            minute = minute.tz_localize("UTC") if minute.tzinfo is None else minute
            _emit({"minute": minute.timestamp(), "requests": int(row["requests"]), "at": now})
    return {"finished": True}


def main(argv: list[str] | None = None) -> int:
    """Entry point: ``python -m stage2_log_analysis.probe TASK --impl SPEC ARGS...``."""
    args = list(sys.argv[1:] if argv is None else argv)
    task = args.pop(0)
    # Every implementation runs with the allocator setting `logan` uses (see allocator.py).
    from stage2_log_analysis.allocator import configure_allocator

    configure_allocator()
    impl = ""
    if args[:1] == ["--impl"]:
        impl = args[1]
        args = args[2:]
    try:
        if task == "baseline":
            result = task_baseline(*args)
        else:
            from gradekit.implementation import load_implementation

            module = load_implementation(impl, DEFAULT_IMPL, module_hint=MODULE_HINT)
            tasks: dict[str, Callable[..., dict[str, Any]]] = {
                "stream": task_stream,
                "anomalies": task_anomalies,
                "analyze": task_analyze,
                "follow": task_follow,
            }
            result = tasks[task](module, *args)
    except Exception as exc:
        _emit({"error": f"{type(exc).__name__}: {exc}", "trace": traceback.format_exc()[-2000:]})
        return 1
    _emit(result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
