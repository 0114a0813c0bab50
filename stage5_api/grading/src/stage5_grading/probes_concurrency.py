"""Criterion 2: 1000 concurrent requests, every one answered, and answered right.

Two measurements on one server:

1. **1000 at once** — 1000 connections opened, then 1000 different rows written together;
   each answer is compared with the answer to the same row sent alone afterwards. A server
   that mixes requests up under concurrency (state kept in a global across an ``await``, a
   batcher that hands results to the wrong request, a thread-unsafe shared buffer) answers
   200 with someone else's prediction: that is not handling 1000 requests.
2. **1000 for a while** — wrk keeps 1000 connections busy for ``duration`` s (30 s timeout,
   random rows): nothing may fail or time out, and 503 "shed" answers stay under 0.01 %.

The closed-loop figures are explained with Little's law (1000 in flight at X req/s is a mean of
1000 / X s), the CPU accounting, and GC pauses when the app exports ``stage5_gc_pause_seconds``.
"""

from __future__ import annotations

from typing import Any

import httpx

from gradekit.result import ErrorSource, Measurement
from gradekit.stages import GradeContext
from stage5_grading.cpu import CpuMeter, CpuReport, judge_timing
from stage5_grading.loadtest.burst import Reply, send_all
from stage5_grading.loadtest.lb import RedisServer
from stage5_grading.loadtest.wrk import WrkResult, run_wrk
from stage5_grading.metrics_text import parse_prometheus
from stage5_grading.options import Options
from stage5_grading.serving import (
    N_FEATURES,
    MachineBusy,
    ServerProblem,
    prediction_of,
    rows,
    running_server,
)

__all__ = ["compare_answers", "explain_closed_loop", "probe_concurrency"]

SHED_LIMIT = 0.0001  # 503s allowed: < 0.01 % of the requests
TOLERANCE = 1e-6


def _same(a: float, b: float) -> bool:
    return abs(a - b) <= TOLERANCE * max(1.0, abs(a), abs(b))


def compare_answers(together: list[Reply], alone: list[Reply]) -> tuple[dict[str, int], list[str]]:
    """Statuses of the simultaneous answers, and the rows whose answer differs from alone."""
    statuses: dict[str, int] = {}
    wrong: list[str] = []
    for i, (t, a) in enumerate(zip(together, alone, strict=True)):
        key = str(t.status) if t.status is not None else (t.error or "error").split(":")[0]
        statuses[key] = statuses.get(key, 0) + 1
        if t.status != 200 or a.status != 200:
            continue
        pt, pa = prediction_of(t.body), prediction_of(a.body)
        if pt is None or pa is None:
            wrong.append(f"row {i}: not a prediction ({t.body[:80]!r})")
            continue
        for key in [k for k in ("prediction", "confidence") if k in pa and k in pt]:
            if not _same(pt[key], pa[key]):
                wrong.append(f"row {i}: {key} {pt[key]:g} under load vs {pa[key]:g} alone")
                break
    return statuses, wrong


def explain_closed_loop(
    closed: WrkResult, cpu: CpuReport, metrics_before: str, metrics_after: str
) -> dict[str, Any]:
    """Why the closed-loop p99 is what it is: Little's law, the tail, CPU, GC pauses."""
    n = closed.connections
    mean_ms = 1000 * n / closed.rps if closed.rps else float("inf")
    per_request_us = 1e6 * cpu.server_cpu_s / closed.requests if closed.requests else 0.0
    text = (
        f"Little's law: {n} in flight at {closed.rps:.0f} req/s is a mean of {mean_ms:.0f} ms "
        f"(p99 {closed.p99_ms / mean_ms:.1f}x the mean); p99 <= 100 ms with {n} in flight needs "
        f">= {n / 0.1:,.0f} req/s and a tail near the mean; server {per_request_us:.0f} us of "
        "CPU per request"
    )
    pauses = gc_pauses(metrics_before, metrics_after)
    if pauses:
        text += "; GC pauses " + ", ".join(
            f"gen{g}: {c:.0f} ({1000 * t:.0f} ms)" for g, (c, t) in sorted(pauses.items())
        )
    return {
        "text": text,
        "little_mean_ms": round(mean_ms, 1),
        "rps_needed_for_100ms": n / 0.1,
        "p99_over_mean": round(closed.p99_ms / mean_ms, 2) if closed.rps else None,
        "server_cpu_us_per_request": round(per_request_us, 1),
        "gc_pauses": {g: {"count": c, "seconds": t} for g, (c, t) in pauses.items()},
    }


def gc_pauses(before: str, after: str) -> dict[str, tuple[float, float]]:
    """GC pauses by generation between two scrapes (count, seconds); empty if not exported."""

    def by_generation(text: str) -> dict[tuple[str, str], float]:
        out: dict[tuple[str, str], float] = {}
        for s in parse_prometheus(text):
            if s.name in ("stage5_gc_pause_seconds_count", "stage5_gc_pause_seconds_sum"):
                gen = dict(s.labels).get("generation", "?")
                key = (gen, s.name.rsplit("_", 1)[1])
                out[key] = out.get(key, 0.0) + s.value
        return out

    b, a = by_generation(before), by_generation(after)
    gens = sorted({gen for gen, _ in a})
    return {
        g: (
            a.get((g, "count"), 0.0) - b.get((g, "count"), 0.0),
            a.get((g, "sum"), 0.0) - b.get((g, "sum"), 0.0),
        )
        for g in gens
    }


def _scrape(url: str) -> str:
    try:
        response = httpx.get(url + "/metrics", timeout=10)
    except httpx.HTTPError:
        return ""
    return response.text if response.status_code == 200 else ""


def probe_concurrency(ctx: GradeContext) -> Measurement:
    """``connections`` requests at once (compared with alone), then wrk for ``duration`` s."""
    o = Options.of(ctx)
    bodies = rows(o.connections, seed=13)
    try:
        with RedisServer() as redis, running_server(ctx, redis, name="concurrency") as run:
            url = run.url
            run_wrk(url + "/predict", bodies[0], connections=100, duration_s=3)  # warm-up
            together = send_all(
                url + "/predict", bodies, concurrency=o.connections, simultaneous=True
            )
            before = _scrape(url)
            with CpuMeter(run.server.pids) as meter:
                closed = run_wrk(
                    url + "/predict",
                    bodies[0],
                    connections=o.connections,
                    duration_s=o.duration,
                    timeout_s=30,
                    random_width=N_FEATURES,
                    seed=11,
                )
            cpu = meter.report(generator_cpu_s=closed.cpu_s)
            after = _scrape(url)
            alone = send_all(url + "/predict", bodies, concurrency=1)
            started = run.describe()
    except ServerProblem as exc:
        return Measurement.failed(str(exc), source=ErrorSource.IMPLEMENTATION)
    except MachineBusy as exc:
        return exc.measurement()
    statuses, wrong = compare_answers(together, alone)
    not_ok = sum(n for code, n in statuses.items() if code != "200")
    alone_bad = sum(1 for a in alone if a.status != 200)
    total = closed.requests + closed.timeouts
    shed_share = closed.shed / total if total else 1.0
    explained = explain_closed_loop(closed, cpu, before, after)
    evidence = (
        f"{o.connections} requests at once: {statuses.get('200', 0)} answered 200"
        + (f", others {dict((k, v) for k, v in statuses.items() if k != '200')}" if not_ok else "")
        + f", {len(wrong)} answered differently than the same row sent alone"
        + (f" (e.g. {'; '.join(wrong[:3])})" if wrong else "")
        + (f"; {alone_bad} rows failed even alone" if alone_bad else "")
        + f". wrk {closed.connections} connections for {closed.duration_s:.0f} s (timeout "
        f"30 s, random rows): {closed.requests} answered, {closed.rps:.0f} req/s, p50 "
        f"{closed.p50_ms:.0f} ms, p99 {closed.p99_ms:.0f} ms, max {closed.max_ms:.0f} ms; "
        f"failed {closed.failed} (socket errors {closed.socket_errors}, timeouts "
        f"{closed.timeouts}), 503 shed {closed.shed} ({100 * shed_share:.4f}% of {total}, must "
        f"be < 0.01%); statuses {closed.statuses}. {explained['text']}. {cpu.text()}. {started}"
    )
    details = {
        "simultaneous": {"statuses": statuses, "wrong": wrong[:20]},
        "wrk": closed.model_dump(),
        "cpu": cpu.model_dump(),
        "closed_loop_explained": explained,
    }
    failures = not_ok + len(wrong) + closed.failed
    hard = (
        not_ok > 0
        or bool(wrong)
        or closed.failed - closed.timeouts > 0
        or (total > 0 and shed_share >= SHED_LIMIT)
    )
    if hard:
        return Measurement(value=failures, passed=False, evidence=evidence, details=details)
    met = closed.timeouts == 0 and closed.ok > 0
    verdict = judge_timing(met, cpu, requests=closed.requests)
    if verdict.status == "inconclusive":
        return Measurement(
            value=failures, inconclusive=verdict.reason, evidence=evidence, details=details
        )
    if verdict.status == "fail":
        return Measurement(
            value=failures, passed=False, evidence=f"{verdict.reason}. {evidence}", details=details
        )
    shortened = o.shortened("connections")
    if shortened:
        return Measurement(
            value=failures,
            inconclusive=f"run with {', '.join(shortened)}: the criterion is about 1000 "
            "concurrent requests (connections=1000 judges it)",
            evidence=evidence,
            details=details,
        )
    return Measurement(value=0, passed=True, evidence=evidence, details=details)
