"""performance_monitor's behaviour (no timing assertions: the grader measures accuracy)."""

from __future__ import annotations

import asyncio
import inspect
import logging

import pytest

from stage1_validation.monitor import clear_records, get_records, last_record, performance_monitor


@pytest.fixture(autouse=True)
def _fresh_records() -> None:
    clear_records()


def test_bare_decorator_returns_result_unchanged_and_records() -> None:
    @performance_monitor
    def add(a: int, b: int = 1) -> list[int]:
        """Add two numbers."""
        return [a + b]

    assert add(2, b=3) == [5]
    record = last_record()
    assert record is not None and record.ok
    assert record.function.endswith("add") and record.wall_s >= 0 and record.cpu_s >= 0
    assert record.peak_traced_mb is None  # tracemalloc is opt-in
    assert record.peak_mb is not None and record.rss_peak_mb is not None
    assert add.__name__ == "add" and add.__doc__ == "Add two numbers."
    assert inspect.signature(add) == inspect.signature(add.__wrapped__)  # type: ignore[attr-defined]
    assert list(inspect.signature(add).parameters) == ["a", "b"]


def test_decorator_with_arguments_and_threshold_logs_levels(
    caplog: pytest.LogCaptureFixture,
) -> None:
    logger = logging.getLogger("test.monitor")

    @performance_monitor(log=logger, threshold_ms=0)
    def slow() -> str:
        return "done"

    @performance_monitor(log=logger, threshold_ms=60_000)
    def fast() -> str:
        return "done"

    with caplog.at_level(logging.DEBUG, logger="test.monitor"):
        slow()
        fast()
    levels = {r.getMessage().split(":")[0].rsplit(".", 1)[-1]: r.levelno for r in caplog.records}
    assert levels == {"slow": logging.WARNING, "fast": logging.DEBUG}
    assert "wall" in caplog.records[0].getMessage()


def test_log_false_still_records(caplog: pytest.LogCaptureFixture) -> None:
    @performance_monitor(log=False, trace_memory=False)
    def quiet() -> int:
        return 1

    with caplog.at_level(logging.DEBUG):
        quiet()
    assert caplog.records == []
    record = last_record()
    assert record is not None and record.peak_traced_mb is None


async def test_async_functions_are_awaited_and_measured() -> None:
    @performance_monitor
    async def fetch(x: int) -> int:
        await asyncio.sleep(0.01)
        return x * 2

    assert inspect.iscoroutinefunction(fetch)
    assert await fetch(21) == 42
    (record,) = get_records("fetch")
    assert record.ok and record.wall_s > 0


def test_exceptions_propagate_and_are_recorded() -> None:
    @performance_monitor
    def boom() -> None:
        raise KeyError("missing")

    with pytest.raises(KeyError, match="missing"):
        boom()
    record = last_record()
    assert record is not None and not record.ok and "KeyError" in (record.error or "")


def test_nested_monitors_see_their_own_peak() -> None:
    @performance_monitor(log=False, trace_memory=True)
    def inner() -> int:
        data = bytearray(8 * 2**20)
        return len(data)

    @performance_monitor(log=False, trace_memory=True)
    def outer() -> int:
        return inner()

    outer()
    inner_record, outer_record = get_records()
    assert inner_record.function.endswith("inner") and outer_record.function.endswith("outer")
    assert inner_record.peak_traced_mb is not None and outer_record.peak_traced_mb is not None
    assert inner_record.peak_traced_mb >= 8
    assert outer_record.peak_traced_mb >= inner_record.peak_traced_mb


def test_methods_can_be_decorated() -> None:
    class Job:
        @performance_monitor(log=False)
        def run(self, n: int) -> int:
            return n + 1

    assert Job().run(1) == 2
    assert get_records("run")[0].to_dict()["rss_delta_mb"] is not None


def test_rss_peak_is_sampled_and_can_be_switched_off() -> None:
    @performance_monitor(log=False, trace_memory=False)
    def allocate() -> int:
        block = bytearray(b"\x01") * (64 * 2**20)
        return len(block)

    @performance_monitor(log=False, rss_interval_s=None)
    def nothing() -> None:
        return None

    allocate()
    sampled = last_record()
    assert sampled is not None and sampled.rss_peak_mb is not None
    assert sampled.rss_peak_mb >= sampled.rss_before_mb
    nothing()
    unsampled = last_record()
    assert unsampled is not None and unsampled.rss_peak_mb is None


def test_default_leaves_tracemalloc_off_and_finds_a_freed_peak_in_rss() -> None:
    import time
    import tracemalloc

    @performance_monitor(log=False)
    def spike() -> int:
        block = bytearray(b"\x01") * (96 * 2**20)
        time.sleep(0.2)  # held for 40 sampling intervals
        size = len(block)
        del block
        return size

    assert spike() == 96 * 2**20
    assert not tracemalloc.is_tracing()
    record = last_record()
    assert record is not None and record.peak_traced_mb is None
    assert record.peak_mb is not None and 80 <= record.peak_mb <= 200
    assert record.to_dict()["peak_mb"] == record.peak_mb


def test_traced_peak_is_opt_in_and_is_what_peak_mb_reports() -> None:
    @performance_monitor(log=False, trace_memory=True)
    def allocate() -> int:
        return len(bytearray(16 * 2**20))

    allocate()
    record = last_record()
    assert record is not None and record.peak_traced_mb is not None
    assert record.peak_mb == record.peak_traced_mb >= 16


def test_concurrent_calls_each_get_a_record_from_the_shared_sampler() -> None:
    import threading
    import time

    @performance_monitor(log=False)
    def wait(seconds: float) -> float:
        time.sleep(seconds)
        return seconds

    threads = [threading.Thread(target=wait, args=(0.02 * (i + 1),)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    records = get_records("wait")
    assert len(records) == 4
    assert all(r.rss_peak_mb is not None and r.rss_peak_mb >= r.rss_before_mb for r in records)
