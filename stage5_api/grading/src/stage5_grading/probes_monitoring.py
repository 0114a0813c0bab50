"""Criterion 4: metrics that measure the service, and a dashboard that shows them live.

1. ``/metrics`` is scraped, exactly ``monitor_requests`` predictions are sent (20 at a time,
   so every worker gets some), and it is scraped again: something must have counted them
   (grown by exactly that many, summed over the workers) and a histogram or summary must have
   recorded their latency (:mod:`stage5_grading.metrics_text`).
2. The dashboard — ``GET /dashboard`` rendered idle and under load, and/or a Grafana JSON in
   the learner's folder — must show live data (:mod:`stage5_grading.dashboard`).
"""

from __future__ import annotations

import threading
import time

import httpx

from gradekit.errors import BrowserError
from gradekit.result import ErrorSource, Measurement
from gradekit.stages import GradeContext
from opskit.processes import ProcessStartError
from stage5_grading.dashboard import judge_grafana, judge_html, render
from stage5_grading.loadtest.burst import send_all
from stage5_grading.loadtest.lb import RedisServer
from stage5_grading.loadtest.proxy import LoggingProxy
from stage5_grading.metrics_text import (
    Growth,
    Sample,
    declared_names,
    find_growth,
    parse_metrics,
    prometheus_types,
    sample_names,
)
from stage5_grading.options import Options
from stage5_grading.serving import MachineBusy, Running, ServerProblem, rows, running_server

__all__ = ["probe_monitoring"]

DASHBOARD = "/dashboard"
SCRAPES = 6
_LATENCY_WORDS = ("latency", "duration", "seconds", "time", "_ms")


def _scrape(url: str) -> tuple[int | None, str, str]:
    try:
        response = httpx.get(url + "/metrics", timeout=10)
    except httpx.HTTPError as exc:
        return None, str(exc), ""
    return response.status_code, response.text, response.headers.get("content-type", "")


def _latency_growth(hits: list[Growth], types: dict[str, str], fmt: str) -> list[Growth]:
    """Hits that record latency: a histogram's or summary's count, or a JSON timing key."""
    if fmt == "json":
        return [h for h in hits if any(w in h.what.lower() for w in _LATENCY_WORDS)]
    return [
        h
        for h in hits
        if h.what.split("{")[0].endswith("_count")
        and types.get(h.family) in ("histogram", "summary")
    ]


def _disagreements(hits: list[Growth], scrapes: list[list[Sample]]) -> str:
    """The first counted series whose value differs between scrapes, as text; else ""."""
    for hit in hits:
        if "{…" in hit.what:
            continue
        values = [
            next((s.value for s in samples if s.key == hit.what), 0.0)
            for samples in scrapes
            if samples  # a failed scrape says nothing
        ]
        if len(set(values)) > 1:
            return f"{hit.what}: {', '.join(f'{v:g}' for v in values)}"
    return ""


class _Background:
    """Predictions sent from threads until stopped: load while the dashboard renders."""

    def __init__(self, url: str, threads: int = 4) -> None:
        self.url = url
        self.stop = threading.Event()
        self.sent = 0
        self.threads = [threading.Thread(target=self._run, daemon=True) for _ in range(threads)]

    def _run(self) -> None:
        bodies = rows(200, seed=3)
        with httpx.Client(timeout=10) as client:
            i = 0
            while not self.stop.is_set():
                try:
                    client.post(
                        self.url + "/predict",
                        content=bodies[i % len(bodies)],
                        headers={"Content-Type": "application/json"},
                    )
                    self.sent += 1
                except httpx.HTTPError:
                    time.sleep(0.05)
                i += 1

    def __enter__(self) -> _Background:
        for t in self.threads:
            t.start()
        time.sleep(1.0)  # the first polls of the page should already see traffic
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        for t in self.threads:
            t.join(timeout=15)


def _html_dashboard(ctx: GradeContext, run: Running) -> tuple[bool | None, str]:
    """(live?, evidence) of GET /dashboard; (None, why) when the app has no such page."""
    try:
        page = httpx.get(run.url + DASHBOARD, timeout=10)
    except httpx.HTTPError as exc:
        return False, f"GET {DASHBOARD} failed: {exc}"
    if page.status_code == 404:
        return None, f"no GET {DASHBOARD}"
    if page.status_code != 200 or "html" not in page.headers.get("content-type", ""):
        return False, (
            f"GET {DASHBOARD} answered {page.status_code} "
            f"{page.headers.get('content-type', '')}, not an HTML page"
        )
    try:
        with LoggingProxy(run.url) as proxy:
            idle = render(proxy, DASHBOARD, ctx.work_dir / "dashboard-idle.png")
            with _Background(run.url):
                busy = render(proxy, DASHBOARD, ctx.work_dir / "dashboard.png")
    except (BrowserError, ProcessStartError, OSError) as exc:
        raise RuntimeError(f"could not render the dashboard: {exc}") from exc
    live, facts = judge_html(idle, busy, DASHBOARD)
    return live, f"GET {DASHBOARD} in headless Chromium (screenshot {busy.png}): {facts}"


def probe_monitoring(ctx: GradeContext) -> Measurement:
    """Scrape, send exactly N predictions, scrape; then judge the dashboard(s)."""
    o = Options.of(ctx)
    n = o.monitor_requests
    try:
        with RedisServer() as redis, running_server(ctx, redis, name="monitoring") as run:
            status, before_text, ctype = _scrape(run.url)
            if status != 200:
                return Measurement(
                    value=False,
                    passed=False,
                    evidence=f"GET /metrics answered {status} {before_text[:150]!r}: expected "
                    "200 with Prometheus text (prometheus_client) or JSON. " + run.describe(),
                )
            replies = send_all(
                run.url + "/predict", rows(n, seed=21), concurrency=20, keep_alive=False
            )
            answered = sum(1 for r in replies if r.status is not None)
            time.sleep(1.0)
            # several scrapes, each on a new connection: every worker must tell the same count
            after_texts = [_scrape(run.url)[1] for _ in range(SCRAPES)]
            after_text = after_texts[0]
            html_live, html_text = _html_dashboard(ctx, run)
            started = run.describe()
            files = run.files
    except ServerProblem as exc:
        return Measurement.failed(str(exc), source=ErrorSource.IMPLEMENTATION)
    except MachineBusy as exc:
        return exc.measurement()
    fmt, before = parse_metrics(before_text, ctype)
    _, after = parse_metrics(after_text, ctype)
    hits, misses = find_growth(before, after, low=answered, high=answered + 4)
    latency = _latency_growth(hits, prometheus_types(after_text), fmt)
    problems: list[str] = []
    disagree = _disagreements(hits, [parse_metrics(t, ctype)[1] for t in after_texts])
    if disagree:
        problems.append(
            f"{SCRAPES} scrapes of /metrics right after the load disagree ({disagree}): each "
            "scrape shows one worker's own counts — with several workers, use "
            "prometheus_client's multiprocess mode (PROMETHEUS_MULTIPROC_DIR is set)"
        )
        hits, latency = [], []
    if fmt == "unknown":
        problems.append("/metrics is neither Prometheus text nor JSON with numbers")
    elif disagree:
        pass
    elif not hits:
        near = ", ".join(f"{m.what} +{m.delta:g}" for m in misses) or "nothing grew"
        problems.append(
            f"nothing in /metrics grew by the {answered} requests sent (closest: {near}) — "
            "metrics that never change, count something else, count twice, or come from one "
            "worker only (with several workers, use prometheus_client's multiprocess mode: "
            "PROMETHEUS_MULTIPROC_DIR is set)"
        )
    elif not latency:
        problems.append(
            "no histogram or summary recorded the requests' latency (a *_count that grew by "
            f"{answered})"
        )
    counted = {h.what.split("{")[0] for h in hits} | {h.family for h in hits}
    grafana_ok, grafana_text = None, ""
    if files.grafana:
        grafana_ok, grafana_text = judge_grafana(
            files.grafana,
            sample_names(after) | declared_names(after_text),
            counted,
            {p: files.rel(p) for p in files.grafana},
        )
    dashboards = [x for x in (html_live, grafana_ok) if x is not None]
    if not dashboards:
        problems.append(
            f"no dashboard: {html_text}, and no Grafana dashboard JSON under grafana/ or "
            "dashboards/ in your folder"
        )
    elif not any(dashboards):
        problems.append("no working dashboard (see below)")
    counted_text = (
        ", ".join(f"{h.what} +{h.delta:g}" for h in hits[:4]) if hits else "nothing counted them"
    )
    evidence = (
        f"/metrics ({fmt}) before and after {answered} POST /predict: {counted_text}"
        + (f"; latency in {latency[0].what}" if latency else "")
        + (f". {html_text}" if html_live is not None else "")
        + (f". {grafana_text}" if grafana_text else "")
        + f". {started}"
    )
    return Measurement(
        value=not problems,
        passed=not problems,
        evidence=("; ".join(problems) + ". " if problems else "") + evidence,
        details={"counted": [h.what for h in hits], "requests": answered},
    )
