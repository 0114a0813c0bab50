"""Criterion 3: 99.99 % of requests answered 200 through a load balancer, through failures.

Replicas of the graded server (started as its Dockerfile says) run behind nginx, which a
prober keeps in step with each replica's readiness path — the path of the learner's
readinessProbe when their manifests have one, else ``/ready`` or ``/health`` — as a Kubernetes
Service does. Under steady load (wrk, ``avail_connections``), three things happen:

1. replica 0 is SIGKILLed (a crash: no drain), then restarted;
2. once it is back in rotation, the private Redis is stopped for ``redis_down_s`` seconds;
3. the load goes on until ``avail_requests`` requests are done.

Every answer that is not 200, every error and timeout counts against availability. A run
shortened below 100,000 requests cannot tell 99.99 % apart; it fails only when its failures
already exceed what 100,000 requests allow (10), else it is inconclusive.
"""

from __future__ import annotations

import threading
import time

import httpx

from gradekit.result import ErrorSource, Measurement
from gradekit.stages import GradeContext
from opskit.processes import ProcessStartError, free_port
from stage5_grading.cpu import CpuMeter, CpuReport
from stage5_grading.launch import LaunchPlan, default_plan, dockerfile_plan
from stage5_grading.layout import ImplFiles, impl_files
from stage5_grading.loadtest.lb import LoadBalancedCluster, Readiness, RedisServer
from stage5_grading.loadtest.server import ServerProcess, StartTimeout, http_status
from stage5_grading.loadtest.wrk import WrkResult, run_wrk
from stage5_grading.manifests import load_manifests, readiness_probe
from stage5_grading.options import Options
from stage5_grading.serving import (
    N_FEATURES,
    READY_PATHS,
    STARTUP_S,
    MachineBusy,
    ServerProblem,
    rows,
    server_env,
    smoke,
)

__all__ = ["failures_follow_redis", "judge_availability", "probe_availability"]

TARGET = 99.99
FULL_SIZE = 100_000
SEGMENT_S = 5.0


def judge_availability(
    total: int, failures: int, *, required: int, chaos_done: bool
) -> tuple[str, str]:
    """("pass" | "fail" | "inconclusive", why) for ``failures`` among ``total`` requests."""
    if total == 0:
        return "fail", "no request was answered"
    availability = 100 * (total - failures) / total
    budget = int(FULL_SIZE * (100 - TARGET) / 100)  # 10 failures per 100,000
    if not chaos_done:
        return "fail", "the failure sequence did not complete (see events)"
    if total >= FULL_SIZE or (total >= required and availability >= TARGET):
        ok = availability >= TARGET
        return ("pass", "") if ok else ("fail", f"{availability:.4f}% < {TARGET}%")
    if failures > budget:
        return "fail", (
            f"{failures} failures in a shortened run of {total} requests: more than the "
            f"{budget} that {FULL_SIZE:,} requests allow"
        )
    if availability < TARGET:
        return "inconclusive", (
            f"{failures} failure(s) in {total} requests: too few requests to tell 99.99% "
            f"(run with avail_requests={FULL_SIZE})"
        )
    return "pass", ""


# Failures that a starved machine alone can cause (no answer from the app itself): nginx
# found no ready replica (502/504) or nothing answered in time. 500s and 503s are the app's.
_SOFT = {"502", "504"}
OTHERS_BUSY = 0.25  # others' share of the machine's CPU that makes a run disturbed


def _disturbed(cpu: CpuReport) -> bool:
    """True when processes other than the replicas, nginx and wrk used a quarter of the CPU."""
    return cpu.others_cpu_s > OTHERS_BUSY * cpu.cores * cpu.wall_s


REDIS_WINDOW = "Redis down (and 2 s after)"


def failures_follow_redis(
    segments: list[tuple[float, float, int, int]], windows: list[tuple[float, float, str]]
) -> bool:
    """True when the Redis outage, not a busy machine, explains the failures.

    ``segments`` are ``(start, end, attempts, failed)``. A starved machine fails requests
    whenever it is starved, steady load included; an app whose replicas all leave the
    rotation while Redis is down (readiness tied to Redis) fails them in that window only.
    So: more failures there than 100,000 requests allow, at ten times steady load's rate.
    """
    budget = int(FULL_SIZE * (100 - TARGET) / 100)
    redis = [(a, b) for a, b, w in windows if w == REDIS_WINDOW]
    in_redis = [s for s in segments if any(a < s[1] and b > s[0] for a, b in redis)]
    steady = [s for s in segments if not any(a < s[1] and b > s[0] for a, b, _ in windows)]
    failed = sum(s[3] for s in in_redis)
    rate = failed / max(sum(s[2] for s in in_redis), 1)
    steady_rate = sum(s[3] for s in steady) / max(sum(s[2] for s in steady), 1)
    return failed > budget and rate > 10 * steady_rate


def _attempts(result: WrkResult) -> int:
    """Requests wrk tried: answered, timed out, or lost to a socket error."""
    return result.requests + result.timeouts + result.socket_errors


def _readiness(files: ImplFiles, first: ServerProcess) -> tuple[Readiness, str]:
    """The readiness path: the learner's readinessProbe, else what the app answers."""
    objects, _ = load_manifests(files.manifests)
    probe = readiness_probe(objects)
    path = ((probe or {}).get("httpGet") or {}).get("path")
    if isinstance(path, str):
        return Readiness(path=path), f"readinessProbe path {path} of your manifests"
    for candidate in READY_PATHS:
        if http_status(first.url + candidate) != 404:
            return Readiness(path=candidate), f"{candidate} (no readinessProbe in the manifests)"
    return Readiness(path=None), "none (the app has neither /ready nor /health): no prober"


def _servers(
    plan: LaunchPlan, n: int, ctx: GradeContext, redis_url: str, paths: tuple[str, ...]
) -> list[ServerProcess]:
    servers = []
    for i in range(n):
        port = free_port()
        servers.append(
            ServerProcess(
                plan.argv_for(port),
                port=port,
                cwd=plan.cwd,
                env=server_env(redis_url, port),
                ready_paths=paths,
                startup_timeout_s=STARTUP_S,
                log_path=ctx.work_dir / f"availability-replica-{i}.log",
                listeners=plan.workers if "stage5_api.serve" in plan.argv else 1,
            )
        )
    return servers


def _start_one(plan: LaunchPlan, ctx: GradeContext, redis_url: str) -> ServerProcess:
    """One server of ``plan`` started (MachineBusy if the machine starved its start)."""
    server = _servers(plan, 1, ctx, redis_url, READY_PATHS)[0]
    try:
        return server.start()
    except StartTimeout as exc:
        if exc.starved:
            raise MachineBusy(str(exc)) from exc
        raise


def _first_server(
    files: ImplFiles, ctx: GradeContext, redis_url: str
) -> tuple[LaunchPlan, ServerProcess]:
    """A started server of the Dockerfile's plan, else of the default plan (its source says why)."""
    plan, why = dockerfile_plan(files)
    if plan is not None:
        try:
            return plan, _start_one(plan, ctx, redis_url)
        except ProcessStartError as exc:
            why = f"the Dockerfile's command did not start here ({exc}); see cicd"
    plan = default_plan(files, Options.of(ctx).workers, why)
    try:
        return plan, _start_one(plan, ctx, redis_url)
    except ProcessStartError as exc:
        raise ServerProblem(f"the server did not start: {exc}") from exc


class _Chaos:
    """Kill and restart replica 0, then take Redis down: in a thread, with timed events."""

    def __init__(self, lb: LoadBalancedCluster, redis: RedisServer, down_s: float) -> None:
        self.lb, self.redis, self.down_s = lb, redis, down_s
        self.events: list[str] = []
        self.windows: list[tuple[float, float, str]] = []
        self.ok = False
        self.busy = False
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _event(self, text: str) -> None:
        self.events.append(f"{time.strftime('%X')} {text}")

    def _run(self) -> None:
        try:
            time.sleep(5)
            t0 = time.monotonic()
            self.lb.kill(0)
            self._event("replica 0 killed (SIGKILL)")
            time.sleep(3)
            self.lb.restart(0)
            self._event("replica 0 restarted: its readiness path answers 200")
            back = self.lb.wait_in_rotation(0, timeout_s=10)
            self.windows.append((t0, time.monotonic(), "replica 0 killed and restarting"))
            self._event("replica 0 back in rotation" if back else "replica 0 not back in 10 s")
            time.sleep(3)
            t1 = time.monotonic()
            self.redis.stop()
            self._event(f"Redis stopped for {self.down_s:g} s")
            time.sleep(self.down_s)
            self.redis.start()
            self._event("Redis started again")
            time.sleep(2)
            self.windows.append((t1, time.monotonic(), REDIS_WINDOW))
            self.ok = True
        except StartTimeout as exc:
            self.busy = exc.starved
            self._event(f"replica 0 did not come back: {str(exc)[:300]}")
        except (ProcessStartError, RuntimeError, OSError) as exc:
            self._event(f"replica 0 did not come back: {str(exc)[:300]}")


def probe_availability(ctx: GradeContext) -> Measurement:
    """Load through nginx while a replica crashes and Redis goes down; count every non-200."""
    o = Options.of(ctx)
    files = impl_files(ctx)
    segments: list[tuple[float, float, WrkResult]] = []
    try:
        with RedisServer() as redis:
            plan, first = _first_server(files, ctx, redis.url)
            try:
                readiness, readiness_text = _readiness(files, first)
            finally:
                first.stop()
            paths = (readiness.path,) if readiness.path else READY_PATHS
            servers = _servers(plan, o.replicas, ctx, redis.url, paths)
            lb = LoadBalancedCluster(servers, readiness=readiness)
            try:
                try:
                    lb.start()
                except StartTimeout as exc:
                    if exc.starved:
                        raise MachineBusy(str(exc)) from exc
                    raise ServerProblem(f"a replica did not start: {exc}") from exc
                except ProcessStartError as exc:
                    raise ServerProblem(f"a replica did not start: {exc}") from exc
                smoke(lb.url)
                chaos = _Chaos(lb, redis, o.redis_down_s)
                connected_before = redis.clients_connected_total()
                started = time.monotonic()
                meter = CpuMeter(lambda: [*lb.pids(), *lb.nginx_pids()]).__enter__()
                chaos.thread.start()
                while time.monotonic() - started < o.avail_max_s:
                    t0 = time.monotonic()
                    result = run_wrk(
                        lb.url + "/predict",
                        rows(1)[0],
                        connections=o.avail_connections,
                        duration_s=SEGMENT_S,
                        random_width=N_FEATURES,
                        seed=len(segments),
                    )
                    segments.append((t0, time.monotonic(), result))
                    done = sum(_attempts(s) for _, _, s in segments)
                    if done >= o.avail_requests and not chaos.thread.is_alive():
                        break
                chaos.thread.join(timeout=STARTUP_S)
                meter.__exit__(None, None, None)
                cpu = meter.report(generator_cpu_s=sum(r.cpu_s for _, _, r in segments))
                used_redis = redis.clients_connected_total() > connected_before
                prober_events = list(lb.events)
            finally:
                lb.stop()
    except ServerProblem as exc:
        return Measurement.failed(str(exc), source=ErrorSource.IMPLEMENTATION)
    except MachineBusy as exc:
        return exc.measurement()
    except httpx.HTTPError as exc:
        return Measurement.failed(f"POST /predict through nginx failed: {exc}")
    total = sum(_attempts(s) for _, _, s in segments)
    ok = sum(s.ok for _, _, s in segments)
    failures = total - ok
    statuses: dict[str, int] = {}
    for _, _, s in segments:
        for code, n in s.statuses.items():
            statuses[code] = statuses.get(code, 0) + n
    seconds = sum(s.duration_s for _, _, s in segments)
    when = []
    for t0, t1, s in segments:
        bad = _attempts(s) - s.ok
        if bad:
            during = [w for a, b, w in chaos.windows if a < t1 and b > t0] or ["steady load"]
            when.append(f"{bad} during {' + '.join(during)}")
    verdict, why_not = judge_availability(
        total, failures, required=o.avail_requests, chaos_done=chaos.ok
    )
    soft = all(code in _SOFT for code in statuses if code != "200")
    counted = [(t0, t1, _attempts(s), _attempts(s) - s.ok) for t0, t1, s in segments]
    soft = soft and not failures_follow_redis(counted, chaos.windows)
    if verdict == "fail" and (chaos.busy or (soft and _disturbed(cpu))):
        verdict = "inconclusive"
        why_not = (
            "the machine was too busy to tell: "
            + (
                "the killed replica could not restart in time"
                if chaos.busy
                else f"only load-balancer errors and timeouts ({failures}) while other processes "
                f"used {cpu.others_cpu_s:.0f} of {cpu.cores * cpu.wall_s:.0f} CPU-s"
            )
            + "; run it again on a quiet machine"
        )
    availability = round(100 * ok / total, 4) if total else 0.0
    evidence = (
        f"{total} requests through nginx to {o.replicas} replicas over {seconds:.0f} s "
        f"({total / max(seconds, 1e-9):.0f} req/s, {o.avail_connections} connections): "
        f"{failures} not 200 (statuses {statuses}, socket errors "
        f"{sum(s.socket_errors for _, _, s in segments)}, timeouts "
        f"{sum(s.timeouts for _, _, s in segments)})"
        + (f" — {'; '.join(when)}" if when else "")
        + f". Events: {'; '.join(chaos.events + prober_events)}. Readiness: {readiness_text}. "
        + ("" if used_redis else "Your app never connected to the Redis in REDIS_URL. ")
        + f"{cpu.text()}. Server: {plan.describe()}"
    )
    details = {
        "segments": [s.model_dump() for _, _, s in segments],
        "events": chaos.events + prober_events,
        "requests_required": o.avail_requests,
    }
    if verdict == "inconclusive":
        return Measurement(
            value=availability, inconclusive=why_not, evidence=evidence, details=details
        )
    return Measurement(
        value=availability,
        passed=verdict == "pass",
        evidence=(f"{why_not}. " if why_not else "") + evidence,
        details=details,
    )
