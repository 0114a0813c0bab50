"""Probes the stage 1 grader runs against an implementation, using only the roadmap's names.

Each probe takes the imported implementation module (ours or a learner's) and returns a
gradekit Measurement. Probes never import this package's internals for the thing they judge:
what they know about the implementation they find on the module (``DataValidator``,
``validate_dataset``, ``performance_monitor``, ``process_large_dataset``, and, where it
exists, ``register_rule``, ``ConfigError``, ``write_report``), and they say in the evidence
which of those they used.
"""

from __future__ import annotations

import contextlib
import inspect
import io
import json
import logging
import re
import statistics
import time
from abc import ABC
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any, ClassVar

import pandas as pd
import psutil
import yaml

from gradekit.result import Measurement
from stage1_validation.synthetic import make_orders, rule_id

__all__ = [
    "probe_context_managers",
    "probe_correctness",
    "probe_exceptions",
    "probe_performance_monitor",
    "probe_polymorphism",
]

MIB = 2**20


# ---------------------------------------------------------------- inheritance & polymorphism


def _own_classes(impl: ModuleType) -> list[type]:
    """Classes defined by the implementation (its module or its package's modules)."""
    root = impl.__name__.split(".")[0]
    seen: dict[int, type] = {}
    modules = [impl]
    for value in vars(impl).values():
        if isinstance(value, ModuleType) and value.__name__.startswith(root):
            modules.append(value)
    for module in modules:
        for value in vars(module).values():
            if (
                isinstance(value, type)
                and value.__module__.split(".")[0] in (root, impl.__name__)
                and not issubclass(value, BaseException)
            ):
                seen[id(value)] = value
    # the rule classes may live in a subpackage the root re-exports only in part
    for cls in list(seen.values()):
        for sub in _all_subclasses(cls):
            if sub.__module__.split(".")[0] == root:
                seen[id(sub)] = sub
    return list(seen.values())


def _all_subclasses(cls: type) -> list[type]:
    found = []
    try:
        direct: list[type] = cls.__subclasses__()
    except TypeError:
        return []
    for sub in direct:
        found.append(sub)
        found += _all_subclasses(sub)
    return found


def _rule_base(classes: list[type]) -> tuple[type | None, list[type]]:
    """The class with the most concrete descendants among the implementation's classes."""
    best: tuple[type | None, list[type]] = (None, [])
    for cls in classes:
        if cls.__name__ in ("BaseModel",) or cls is ABC:
            continue
        concrete = [s for s in _all_subclasses(cls) if not inspect.isabstract(s)]
        concrete = list({id(c): c for c in concrete}.values())
        if len(concrete) > len(best[1]):
            best = (cls, concrete)
    return best


def probe_polymorphism(impl: ModuleType, work_dir: Path) -> Measurement:
    """A rule hierarchy under one base, and a subclass defined now is found and run."""
    base, concrete = _rule_base(_own_classes(impl))
    if base is None or len(concrete) < 3:
        return Measurement(
            value=False,
            evidence=f"no class with >= 3 concrete subclasses found (best: {base}, {len(concrete)})",
        )
    abstract = inspect.isabstract(base) or bool(getattr(base, "__abstractmethods__", None))
    parent = getattr(impl, "ColumnRule", None)
    parent = parent if isinstance(parent, type) and issubclass(parent, base) else base
    custom = _make_custom_rule(parent)
    register = getattr(impl, "register_rule", None)
    how = "class statement only (relying on __init_subclass__ registration)"
    if callable(register):
        register(custom)
        how = f"{impl.__name__}.register_rule({custom.__name__})"
    values = [1, 2, 3, 4, 5, 6, 8]  # three odd numbers: three failing rows
    frame = pd.DataFrame({"x": values})
    config = work_dir / "grader_custom_rule.yaml"
    config.write_text(
        yaml.safe_dump({"columns": {"x": [{"rule": "grader_odd"}]}}), encoding="utf-8"
    )
    try:
        report = impl.DataValidator(str(config)).validate_dataset(frame)
    finally:
        unregister = getattr(impl, "unregister_rule", None)
        if callable(unregister):
            unregister("grader_odd")
    entry = _find_rule_entry(report, "grader_odd")
    count = None if entry is None else entry.get("failing_count")
    ok = abstract and entry is not None and count == 3
    evidence = (
        f"base {base.__name__} ({'abstract' if abstract else 'NOT abstract'}) with "
        f"{len(concrete)} concrete rules ({', '.join(sorted(c.__name__ for c in concrete)[:8])}); "
        f"custom subclass of {parent.__name__} registered via {how}; "
        f"report entry {'found' if entry else 'missing'}, failing_count={count} (expected 3)"
    )
    return Measurement(value=ok, evidence=evidence, details={"base": base.__name__})


def _make_custom_rule(parent: type) -> type:
    """A subclass whose every abstract method flags odd numbers (True = failing row)."""

    def flag_odd(self: Any, *args: Any, **kwargs: Any) -> Any:
        data = args[0] if args else next(iter(kwargs.values()))
        values = data["x"] if isinstance(data, pd.DataFrame) else data
        return values % 2 == 1

    namespace: dict[str, Any] = {
        "__doc__": "Grader's rule: fails odd numbers.",
        "__module__": __name__,
        # ClassVar, so pydantic-based rule classes treat ``name`` as a class constant
        "__annotations__": {"name": ClassVar[str]},
        "name": "grader_odd",
    }
    for method in getattr(parent, "__abstractmethods__", ()):
        namespace[method] = flag_odd
    return type("GraderOddRule", (parent,), namespace)


def _find_rule_entry(report: Any, name: str) -> dict[str, Any] | None:
    if not isinstance(report, dict):
        return None
    for entry in report.get("rules", []) or []:
        if isinstance(entry, dict) and name in json.dumps(entry, default=str):
            return entry
    return None


# ---------------------------------------------------------------- context managers


def _broken_csv(path: Path, rows: int = 60_000) -> Path:
    good = "id,amount\n" + "".join(f"{i},{i % 100}\n" for i in range(rows))
    path.write_bytes(good.encode() + b"60000,\xff\xfe\xfd\n" + b"1,2\n" * 1000)
    return path


def _fd_state(path: Path) -> tuple[int, bool]:
    process = psutil.Process()
    return process.num_fds(), any(f.path == str(path) for f in process.open_files())


def probe_context_managers(impl: ModuleType, work_dir: Path) -> Measurement:
    """Handles closed after a read that fails midway; no partial report after a failed write."""
    notes, ok = [], True
    bad_data = _broken_csv(work_dir / "grader_broken.csv")
    fds_before, _ = _fd_state(bad_data)
    process = getattr(impl, "process_large_dataset", None)
    if not callable(process):
        return Measurement(value=False, evidence="process_large_dataset is missing or not callable")
    raised = None
    try:
        _call_quietly(process, str(bad_data))
    except Exception as exc:
        raised = type(exc).__name__
    fds_after, still_open = _fd_state(bad_data)
    ok &= raised is not None and not still_open and fds_after <= fds_before
    notes.append(
        f"process_large_dataset(invalid UTF-8 at row 60000): raised {raised}, "
        f"fds {fds_before}->{fds_after}, file still open: {still_open}"
    )
    bad_config = work_dir / "grader_latin1.yaml"
    bad_config.write_bytes(
        ("columns:\n" + "  a: [{rule: not_null}]\n" * 500 + "  caf\xe9: []\n").encode("latin-1")
    )
    fds_before, _ = _fd_state(bad_config)
    raised = None
    try:
        impl.DataValidator(str(bad_config))
    except Exception as exc:
        raised = type(exc).__name__
    fds_after, still_open = _fd_state(bad_config)
    ok &= raised is not None and not still_open and fds_after <= fds_before
    notes.append(f"DataValidator(non-UTF-8 rules): raised {raised}, fds {fds_before}->{fds_after}")
    writer = getattr(impl, "write_report", None)
    if not callable(writer):
        ok = False
        notes.append("no write_report(report, path) found: partial-report check not possible")
    else:
        out_dir = work_dir / "grader_reports"
        out_dir.mkdir(exist_ok=True)
        for leftover in out_dir.iterdir():
            leftover.unlink()
        target = out_dir / "report.json"
        broken = {"passed": False, "summary": {}, "rules": [{"rule": "x"}] * 1000, "zz": object()}
        raised = None
        try:
            writer(broken, str(target))
        except Exception as exc:
            raised = type(exc).__name__
        left = sorted(p.name for p in out_dir.iterdir())
        ok &= raised is not None and not left
        notes.append(
            f"write_report(unserialisable value at the end): raised {raised}, files left: {left}"
        )
    return Measurement(value=bool(ok), evidence="; ".join(notes))


def _call_quietly(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Call with stderr/stdout captured (progress bars) and keyword options the callee accepts."""
    try:
        params = inspect.signature(fn).parameters
    except (TypeError, ValueError):
        params = {}  # type: ignore[assignment]
    accepted = {k: v for k, v in kwargs.items() if k in params}
    if "progress" in params:
        accepted["progress"] = False
    with contextlib.redirect_stderr(io.StringIO()), contextlib.redirect_stdout(io.StringIO()):
        return fn(*args, **accepted)


# ---------------------------------------------------------------- custom exceptions


def probe_exceptions(impl: ModuleType, work_dir: Path) -> Measurement:
    """Six bad inputs each raise the implementation's own exception naming the input."""
    folder = work_dir / "grader_bad_inputs"
    folder.mkdir(exist_ok=True)
    good_rules = {
        "columns": {"amount": [{"rule": "not_null"}], "no_such_column": [{"rule": "not_null"}]}
    }
    cases: list[tuple[str, Path, bytes, str, bool]] = [
        (
            "malformed YAML",
            folder / "malformed.yaml",
            b"columns:\n  a: [ {rule: not_null\n",
            "malformed.yaml",
            False,
        ),
        (
            "unknown rule",
            folder / "unknown_rule.yaml",
            b"columns:\n  a: [{rule: not_a_rule}]\n",
            "not_a_rule",
            False,
        ),
        (
            "missing column",
            folder / "missing_column.yaml",
            yaml.safe_dump(good_rules).encode(),
            "no_such_column",
            True,
        ),
        ("empty file", folder / "empty.yaml", b"", "empty.yaml", False),
        (
            "non-UTF-8 file",
            folder / "latin1.yaml",
            "columns:\n  caf\xe9: [{rule: not_null}]\n".encode("latin-1"),
            "latin1.yaml",
            False,
        ),
        (
            "wrong types",
            folder / "wrong_type.yaml",
            b"columns:\n  a: [{rule: range, min: abc}]\n",
            "min",
            False,
        ),
    ]
    config_error = getattr(impl, "ConfigError", None)
    root = impl.__name__.split(".")[0]
    results, classes = [], []
    for label, path, content, must_name, at_validate in cases:
        path.write_bytes(content)
        exc: BaseException | None = None
        try:
            validator = impl.DataValidator(str(path))
            if at_validate:
                validator.validate_dataset(pd.DataFrame({"amount": [1.0, 2.0]}))
        except Exception as caught:
            exc = caught
        if exc is None:
            results.append(f"{label}: nothing raised")
            continue
        cls = type(exc)
        own = cls.__module__.split(".")[0] in (root, impl.__name__) or cls.__module__.startswith(
            "_gradekit_impl"
        )
        right = isinstance(exc, config_error) if isinstance(config_error, type) else own
        named = must_name in str(exc)
        passed = own and right and named
        if passed:
            classes.append(cls)
        results.append(
            f"{label}: {cls.__name__}{'' if own else ' (not the implementation own)'}"
            f"{'' if right else ' (not a ConfigError)'}{'' if named else f' (message lacks {must_name!r})'}"
            + (" ok" if passed else "")
        )
    base_ok = _common_custom_base(classes)  # the passing cases must share one custom base
    score = sum(1 for r in results if r.endswith(" ok")) if base_ok else 0
    evidence = "; ".join(results) + f"; common custom base: {base_ok or 'none'}"
    return Measurement(value=score, evidence=evidence)


def _common_custom_base(classes: list[type]) -> str | None:
    if not classes:
        return None
    common = set(inspect.getmro(classes[0]))
    for cls in classes[1:]:
        common &= set(inspect.getmro(cls))
    custom = [c for c in common if c.__module__ != "builtins"]
    return min(custom, key=lambda c: len(inspect.getmro(c))).__name__ if custom else None


# ---------------------------------------------------------------- performance decorator


def _sleep_200ms() -> int:
    time.sleep(0.2)
    return 1


def _allocate_200mb() -> int:
    block = bytearray(b"\x01") * (200 * MIB)  # touched pages: RSS-based monitors see it too
    size = len(block)
    del block
    return size


def probe_performance_monitor(impl: ModuleType, work_dir: Path) -> Measurement:
    """Reported time of a 200 ms sleep and peak memory of a 200 MiB allocation, vs truth."""
    decorator = impl.performance_monitor
    sleep_fn = decorator(_sleep_200ms)
    alloc_fn = decorator(_allocate_200mb)
    if not callable(sleep_fn) or not callable(alloc_fn):
        return Measurement(
            value=None, evidence="performance_monitor(func) did not return a callable"
        )
    times, peaks, how = [], [], set()
    for _ in range(3):
        seconds, method = _reported(impl, sleep_fn, "time")
        times.append(seconds)
        how.add(method)
        megabytes, method = _reported(impl, alloc_fn, "memory")
        peaks.append(megabytes)
        how.add(method)
    if None in times or None in peaks:
        return Measurement(
            value=None,
            evidence=f"could not read the measured figures (time {times}, memory {peaks}) via {sorted(how)}",
        )
    time_s = statistics.median(t for t in times if t is not None)
    peak_mib = statistics.median(p for p in peaks if p is not None)
    time_err = abs(time_s - 0.2) / 0.2 * 100
    mem_err = abs(peak_mib - 200) / 200 * 100
    return Measurement(
        value=round(max(time_err, mem_err), 2),
        evidence=(
            f"sleep 200 ms reported {time_s * 1000:.1f} ms ({time_err:.1f}% off); allocate 200 MiB "
            f"reported {peak_mib:.1f} MiB ({mem_err:.1f}% off); median of 3; read via {sorted(how)}"
        ),
        details={"time_s": time_s, "peak_mib": peak_mib},
    )


def _reported(impl: ModuleType, fn: Callable[[], Any], what: str) -> tuple[float | None, str]:
    """Run ``fn`` and read the figure its monitor reported: record API, attribute, or log text."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setLevel(logging.DEBUG)
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        with contextlib.redirect_stdout(stream):
            fn()
    finally:
        root.removeHandler(handler)
        root.setLevel(old_level)
    last = getattr(impl, "last_record", None)
    record = last() if callable(last) else getattr(fn, "last_record", None)
    if record is not None:
        if what == "time" and hasattr(record, "wall_s"):
            return float(record.wall_s), "last_record().wall_s"
        if what == "memory" and getattr(record, "peak_traced_mb", None) is not None:
            return float(record.peak_traced_mb), "last_record().peak_traced_mb"
    return _parse_log(stream.getvalue(), what), "parsed log/stdout text"


_TIME = re.compile(r"(\d+(?:\.\d+)?)\s*(ms|msec|milliseconds|s|sec|secs|seconds)\b", re.I)
_MEMORY = re.compile(r"(\d+(?:\.\d+)?)\s*(MiB|MB|GiB|GB|KiB|KB|bytes|B)\b")
_MEMORY_SCALE = {
    "mib": 1.0,
    "mb": 1e6 / MIB,
    "gib": 1024.0,
    "gb": 1e9 / MIB,
    "kib": 1 / 1024,
    "kb": 1e3 / MIB,
    "bytes": 1 / MIB,
    "b": 1 / MIB,
}


def _parse_log(text: str, what: str) -> float | None:
    if what == "time":
        match = _TIME.search(text)
        if not match:
            return None
        value = float(match.group(1))
        return value / 1000 if match.group(2).lower().startswith("m") else value
    figures = [float(v) * _MEMORY_SCALE[u.lower()] for v, u in _MEMORY.findall(text)]
    return max(figures) if figures else None


# ---------------------------------------------------------------- correctness


def probe_correctness(impl: ModuleType, work_dir: Path, *, rows: int, chunked: bool) -> Measurement:
    """Precision and recall over (rule, row) pairs of injected errors, whole-frame or chunked."""
    data = make_orders(rows, seed=2024)
    rules_path = work_dir / "grader_orders_rules.yaml"
    rules_path.write_text(yaml.safe_dump(data.rules, sort_keys=False), encoding="utf-8")
    if chunked:
        csv = work_dir / "grader_orders.csv"
        data.frame.to_csv(csv, index=False)
        process = impl.process_large_dataset
        params = inspect.signature(process).parameters
        if len(params) < 2:
            return Measurement(
                value=0.0,
                evidence="process_large_dataset(file_path) takes no rules argument: cannot grade chunked",
            )
        chunk = max(rows // 7, 1)
        report = _call_quietly(process, str(csv), str(rules_path), chunk_size=chunk)
        mode = f"process_large_dataset(csv, rules, chunk_size={chunk}) on {rows} rows"
    else:
        report = impl.DataValidator(str(rules_path)).validate_dataset(data.frame)
        mode = f"DataValidator(rules).validate_dataset(df) on {rows} rows"
    expected = {(name, i) for name, idx in data.expected.items() for i in idx}
    found = set()
    for entry in report["rules"]:
        name = rule_id(entry["rule"], entry.get("column"))
        for sample in entry.get("samples", []):
            found.add((name, sample["index"]))
    true_pos = len(found & expected)
    precision = true_pos / len(found) if found else 0.0
    recall = true_pos / len(expected) if expected else 1.0
    score = round(100 * min(precision, recall), 3)
    missed = sorted(expected - found)[:3]
    extra = sorted(found - expected, key=str)[:3]
    return Measurement(
        value=score,
        evidence=(
            f"{mode}: {len(expected)} injected (rule,row) errors over {len(data.expected)} rules; "
            f"found {len(found)}, precision {precision:.2%}, recall {recall:.2%}"
            + (f"; missed e.g. {missed}" if missed else "")
            + (f"; extra e.g. {extra}" if extra else "")
        ),
        details={"precision": precision, "recall": recall},
    )
