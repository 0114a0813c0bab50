"""Criterion 1: p99 ≤ 100 ms at a constant offered rate, latency from the intended send time.

A constant rate (open loop) is what users do: they do not wait for each other's answers, so a
slow moment shows as queueing in every later request's latency. Every request posts a new row,
so a prediction cache cannot hide the model's cost. A miss is judged with the CPU accounting
of :mod:`stage5_grading.cpu`: the server's own (too costly, or blocked) fails, a machine too
busy to tell is inconclusive.
"""

from __future__ import annotations

from gradekit.result import ErrorSource, Measurement
from gradekit.stages import GradeContext
from stage5_grading.cpu import CpuMeter, judge_timing
from stage5_grading.loadtest.lb import RedisServer
from stage5_grading.loadtest.openloop import run_open_loop
from stage5_grading.options import Options
from stage5_grading.serving import MachineBusy, ServerProblem, rows, running_server

__all__ = ["probe_latency"]

P99_LIMIT_MS = 100.0


def probe_latency(ctx: GradeContext) -> Measurement:
    """Open loop at ``rate`` req/s for ``latency_duration`` s after ``latency_warmup`` s."""
    o = Options.of(ctx)
    total = int(o.rate * (o.latency_duration + o.latency_warmup)) + 1
    try:
        with RedisServer() as redis, running_server(ctx, redis, name="latency") as run:
            bodies = rows(total, seed=7)
            with CpuMeter(run.server.pids) as meter:
                result = run_open_loop(
                    run.url + "/predict",
                    bodies,
                    rate=o.rate,
                    duration_s=o.latency_duration,
                    warmup_s=o.latency_warmup,
                )
            cpu = meter.report(generator_cpu_s=result.generator_cpu_s)
            started = run.describe()
    except ServerProblem as exc:
        return Measurement.failed(str(exc), source=ErrorSource.IMPLEMENTATION)
    except MachineBusy as exc:
        return exc.measurement()
    errors = {
        code: n
        for code, n in result.statuses.items()
        if code.isdigit() and code not in ("200", "503")
    }
    figures = (
        f"open loop at {o.rate:.0f} req/s for {result.duration_s:.0f} s after a "
        f"{o.latency_warmup:g} s warm-up (not counted), a new row per request, latency from "
        f"the intended send time: p50 {result.p50_ms} ms, p99 {result.p99_ms} ms, max "
        f"{result.max_ms} ms; {result.ok}/{result.sent} answered 200, {result.shed} shed (503), "
        f"{result.failed} failed {result.statuses if result.failed else ''}".rstrip()
        + f". {cpu.text()}; load generator lag p99 {result.lag_p99_ms} ms. {started}"
    )
    details = {"open_loop": result.model_dump(), "cpu": cpu.model_dump()}
    if errors:
        return Measurement(
            value=result.p99_ms,
            passed=False,
            evidence=f"POST /predict answered errors {errors} under load (expected only 200). "
            + figures,
            details=details,
        )
    met = result.p99_ms <= P99_LIMIT_MS and result.failed == 0 and result.shed == 0
    verdict = judge_timing(
        met,
        cpu,
        requests=total,
        rate=o.rate,
        generator_lag_ms=result.lag_p99_ms,
        excess_ms=result.p99_ms - P99_LIMIT_MS if result.failed == 0 else None,
    )
    shortened = o.shortened("rate", "latency_duration")
    note = (
        f" (shortened run: {', '.join(shortened)}; the criterion is judged at rate=2000, "
        "latency_duration=30)"
        if shortened and met
        else ""
    )
    if verdict.status == "inconclusive":
        return Measurement(
            value=result.p99_ms,
            inconclusive=verdict.reason,
            evidence=figures,
            details=details,
        )
    return Measurement(
        value=result.p99_ms,
        passed=verdict.status == "pass",
        evidence=(f"{verdict.reason}. " if verdict.reason else "") + figures + note,
        details=details,
    )
