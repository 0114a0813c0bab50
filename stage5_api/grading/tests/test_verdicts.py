"""The grader's arithmetic: what grew in /metrics, timing verdicts, availability, dashboards."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from PIL import Image

from stage5_grading.cpu import CpuReport, judge_timing
from stage5_grading.dashboard import (
    Render,
    judge_grafana,
    judge_html,
    pixel_change,
    promql_metrics,
    shown_numbers,
    visible_text,
)
from stage5_grading.loadtest.burst import Reply
from stage5_grading.loadtest.proxy import ProxiedRequest
from stage5_grading.loadtest.wrk import WrkResult
from stage5_grading.metrics_text import (
    declared_names,
    find_growth,
    parse_metrics,
    parse_prometheus,
)
from stage5_grading.probes_availability import (
    REDIS_WINDOW,
    failures_follow_redis,
    judge_availability,
)
from stage5_grading.probes_concurrency import compare_answers, explain_closed_loop, gc_pauses

BEFORE = """# TYPE api_requests_total counter
api_requests_total{status="200"} 5.0
api_requests_total{status="422"} 1.0
# TYPE api_latency_seconds histogram
api_latency_seconds_bucket{le="0.1"} 5.0
api_latency_seconds_count 5.0
api_latency_seconds_sum 0.01
"""


def _after(n: int) -> str:
    return (
        BEFORE.replace('status="200"} 5.0', f'status="200"}} {5 + n}.0')
        .replace("_count 5.0", f"_count {5 + n}.0")
        .replace('le="0.1"} 5.0', f'le="0.1"}} {5 + n}.0')
    )


def test_the_counter_that_grew_by_the_requests_is_found() -> None:
    hits, _ = find_growth(
        parse_prometheus(BEFORE), parse_prometheus(_after(2000)), low=2000, high=2004
    )
    found = {h.what for h in hits}
    assert 'api_requests_total{status="200"}' in found
    assert "api_latency_seconds_count" in found
    assert not any("bucket" in h for h in found)


@pytest.mark.parametrize("grown", [0, 1000, 4000])
def test_counts_of_one_worker_or_twice_are_not_the_requests(grown: int) -> None:
    hits, misses = find_growth(
        parse_prometheus(BEFORE), parse_prometheus(_after(grown)), low=2000, high=2004
    )
    assert not hits
    assert all(m.delta != 0 for m in misses)


def test_json_metrics_are_read_by_path() -> None:
    fmt, before = parse_metrics('{"requests": {"predict": 3}, "up": true}', "application/json")
    _, after = parse_metrics('{"requests": {"predict": 53}, "up": true}', "application/json")
    assert fmt == "json"
    hits, _ = find_growth(before, after, low=50, high=54)
    assert [h.what for h in hits] == ["requests.predict"]


def test_declared_but_unobserved_families_count_as_exported() -> None:
    text = "# HELP x_errors_total errors\n# TYPE x_errors_total counter\n# TYPE y histogram\n"
    assert {"x_errors_total", "y_bucket", "y_count"} <= declared_names(text)


def _cpu(wall: float, server: float, wait: float, machine: float) -> CpuReport:
    return CpuReport(
        wall_s=wall, cores=2, server_cpu_s=server, server_wait_s=wait, machine_busy_s=machine
    )


def test_timing_verdicts() -> None:
    quiet_blocked = _cpu(30, 3, 0.5, 6)
    starved = _cpu(30, 20, 25, 60)
    assert judge_timing(True, starved, requests=60000).status == "pass"
    # slow without waiting for a CPU: the server blocked itself
    assert judge_timing(False, quiet_blocked, requests=60000, rate=2000).status == "fail"
    # slow while waiting for a CPU: the neighbours may explain it
    assert judge_timing(False, starved, requests=60000, rate=2000).status == "inconclusive"
    # needs more CPU than the machine has at the offered rate: the server's own cost
    costly = _cpu(30, 58, 30, 60)
    assert judge_timing(False, costly, requests=1500, rate=2000).status == "fail"
    # a late load generator measures itself
    lagging = judge_timing(False, quiet_blocked, requests=60000, generator_lag_ms=300, excess_ms=80)
    assert lagging.status == "inconclusive" and "generator" in lagging.reason
    # ... but not a miss far bigger than its lag
    late = judge_timing(False, quiet_blocked, requests=60000, generator_lag_ms=300, excess_ms=9000)
    assert late.status == "fail"


@pytest.mark.parametrize(
    ("total", "failures", "required", "verdict"),
    [
        (100_000, 5, 100_000, "pass"),
        (100_000, 11, 100_000, "fail"),
        (20_000, 0, 20_000, "pass"),
        (20_000, 3, 20_000, "inconclusive"),  # too few requests to tell 99.99 %
        (20_000, 50, 20_000, "fail"),  # more than 100,000 requests would allow
    ],
)
def test_availability_verdicts(total: int, failures: int, required: int, verdict: str) -> None:
    assert judge_availability(total, failures, required=required, chaos_done=True)[0] == verdict


def test_availability_fails_when_the_failure_sequence_did_not_complete() -> None:
    assert judge_availability(100_000, 0, required=100_000, chaos_done=False)[0] == "fail"


_WINDOWS = [(5.0, 14.0, "replica 0 killed and restarting"), (17.0, 29.0, REDIS_WINDOW)]


def test_failures_in_the_redis_window_alone_are_the_apps_not_a_busy_machines() -> None:
    # replicas whose readiness needs Redis all leave the rotation: 502s only while it is down
    segments = [(0.0, 5.0, 5000, 0), (20.0, 25.0, 5000, 4800), (30.0, 35.0, 5000, 1)]
    assert failures_follow_redis(segments, _WINDOWS)


def test_failures_spread_over_steady_load_may_be_a_busy_machine() -> None:
    segments = [(0.0, 5.0, 500, 40), (20.0, 25.0, 500, 60), (30.0, 35.0, 500, 50)]
    assert not failures_follow_redis(segments, _WINDOWS)
    assert not failures_follow_redis([(20.0, 25.0, 5000, 5)], _WINDOWS)  # within the budget


def _reply(prediction: float, confidence: float = 0.9, status: int = 200) -> Reply:
    body = json.dumps({"prediction": prediction, "confidence": confidence}).encode()
    return Reply(status=status, body=body)


def test_answers_under_load_are_compared_with_answers_alone() -> None:
    together = [_reply(1, 0.9), _reply(0, 0.7), _reply(1, 0.6, status=503)]
    alone = [_reply(1, 0.9), _reply(1, 0.8), _reply(1, 0.6)]
    statuses, wrong = compare_answers(together, alone)
    assert statuses == {"200": 2, "503": 1}
    assert len(wrong) == 1 and wrong[0].startswith("row 1: prediction 0")


def test_closed_loop_explained_with_littles_law() -> None:
    wrk = WrkResult(
        connections=1000, duration_s=10, requests=50_000, rps=5000, p50_ms=50, p90_ms=80,
        p99_ms=600, max_ms=900, statuses={"200": 50_000}, socket_errors=0, timeouts=0,
    )  # fmt: skip
    gc_line = 'stage5_gc_pause_seconds_{}{{generation="2"}} {}'
    before = "\n".join([gc_line.format("count", 3), gc_line.format("sum", 0.5)])
    after = "\n".join([gc_line.format("count", 7), gc_line.format("sum", 1.7)])
    explained = explain_closed_loop(wrk, _cpu(10, 10, 0, 18), before, after)
    assert explained["little_mean_ms"] == 200.0  # 1000 in flight / 5000 req/s
    assert explained["p99_over_mean"] == 3.0
    assert explained["server_cpu_us_per_request"] == 200.0
    assert "gen2: 4 (1200 ms)" in explained["text"]
    assert gc_pauses("", "api_requests_total 3") == {}


def test_promql_metric_names() -> None:
    expr = (
        'histogram_quantile(0.99, sum(rate(http_request_duration_seconds_bucket{path="/p"}[5m])) '
        "by (le)) / on(instance) group_left up * 1e3 + $__rate_interval"
    )
    assert promql_metrics(expr) == {"http_request_duration_seconds_bucket", "up"}


def test_grafana_queries_must_name_exported_metrics(tmp_path: Path) -> None:
    board = tmp_path / "board.json"
    board.write_text(
        json.dumps(
            {"panels": [{"title": "rps", "targets": [{"expr": "rate(api_requests_total[1m])"}]}]}
        )
    )
    rel = {board: "grafana/board.json"}
    ok, _ = judge_grafana([board], {"api_requests_total"}, {"api_requests_total"}, rel)
    assert ok
    ok, text = judge_grafana([board], {"http_requests_total"}, {"http_requests_total"}, rel)
    assert not ok and "api_requests_total" in text


def test_dashboard_text_and_numbers() -> None:
    dom = "<html><script>let x = 5;</script><p>Requests: <b>1,234</b> at 3.5 ms</p></html>"
    assert visible_text(dom) == "Requests: 1,234 at 3.5 ms"
    assert shown_numbers(visible_text(dom)) == ["1,234", "3.5"]


def _png(path: Path, colour: tuple[int, int, int]) -> Path:
    Image.new("RGB", (100, 100), colour).save(path)
    return path


def test_a_dashboard_is_live_when_it_fetched_data_and_changed(tmp_path: Path) -> None:
    white, black = _png(tmp_path / "w.png", (255, 255, 255)), _png(tmp_path / "b.png", (0, 0, 0))
    assert pixel_change(white, white) == 0.0 and pixel_change(white, black) == 1.0
    page = ProxiedRequest("GET", "/dashboard", 200, "text/html")
    data = ProxiedRequest("GET", "/metrics", 200, "text/plain")
    idle = Render(text="Requests: 1", png=white, requests=[page, data])
    busy = Render(text="Requests: 880", png=white, requests=[page, data])
    assert judge_html(idle, busy, "/dashboard")[0]
    static = Render(text="Requests: 12,480", png=white, requests=[page])
    live, text = judge_html(static, static, "/dashboard")
    assert not live and "no data" in text
    ignored = Render(text="Requests: 12,480", png=white, requests=[page, data])
    assert not judge_html(ignored, ignored, "/dashboard")[0]
