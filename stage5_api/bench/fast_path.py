"""A/B: ``/predict`` through the plain ASGI fast path vs the idiomatic FastAPI route.

    uv run --frozen python stage5_api/bench/fast_path.py --rounds 3 --duration 10
    # → stage5_api/bench/results/fast_path.json

The same service (``python -m stage5_api.serve``, 2 workers, asyncio loop, bundled logistic
regression, no Redis) with ``STAGE5_PREDICT_FAST_PATH=true`` and ``=false``, interleaved
(A B A B ...), each under wrk with 1000 connections and random 10-feature rows. Per run:
req/s, p50/p99, and the server's CPU seconds per request (CPU accounting, robust on a busy
machine where wall-clock figures are not); the summary is the ratio of medians, fast ÷ plain.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
from pathlib import Path
from typing import Any

from stage5_grading.loadtest.server import AppTarget, UvicornServer
from stage5_grading.loadtest.wrk import run_wrk

HERE = Path(__file__).resolve().parent
BODY = json.dumps({"features": [0.1] * 10})
VARIANTS = {"fast_path": "true", "plain_route": "false"}


def _one(fast: str, duration: float, seed: int) -> dict[str, Any]:
    env = {"STAGE5_PREDICT_FAST_PATH": fast, "STAGE5_REDIS_URL": "none", "MLFLOW_TRACKING_URI": ""}
    with UvicornServer(AppTarget("stage5_api.main:app"), workers=2, loop="asyncio", env=env) as srv:
        run_wrk(srv.url + "/predict", BODY, connections=100, duration_s=2)  # warm-up
        cpu0 = srv.cpu_seconds()
        r = run_wrk(
            srv.url + "/predict",
            BODY,
            connections=1000,
            duration_s=duration,
            random_width=10,
            seed=seed,
        )
        cpu = srv.cpu_seconds() - cpu0
    return {
        "rps": round(r.rps),
        "p50_ms": r.p50_ms,
        "p99_ms": r.p99_ms,
        "ok": r.ok,
        "failed": r.requests - r.ok,
        "server_cpu_us_per_request": round(cpu / max(r.requests, 1) * 1e6, 1),
        "load_avg_1m": round(os.getloadavg()[0], 2),
    }


def main(argv: list[str] | None = None) -> int:
    """Run the interleaved rounds and write the result JSON."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--duration", type=float, default=10.0)
    p.add_argument("--out", type=Path, default=HERE / "results" / "fast_path.json")
    args = p.parse_args(argv)
    runs: dict[str, list[dict[str, Any]]] = {name: [] for name in VARIANTS}
    for i in range(args.rounds):
        for name, flag in VARIANTS.items():
            runs[name].append(_one(flag, args.duration, seed=i))
            print(name, runs[name][-1], flush=True)
    med = {
        name: {
            key: statistics.median(r[key] for r in rs)
            for key in ("rps", "p99_ms", "server_cpu_us_per_request")
        }
        for name, rs in runs.items()
    }
    fast, plain = med["fast_path"], med["plain_route"]
    result = {
        "command": "uv run --frozen python stage5_api/bench/fast_path.py "
        f"--rounds {args.rounds} --duration {args.duration:g}",
        "runs": runs,
        "median": med,
        "rps_ratio": round(fast["rps"] / plain["rps"], 2),
        "cpu_per_request_ratio": round(
            fast["server_cpu_us_per_request"] / plain["server_cpu_us_per_request"], 2
        ),
        "machine": {"cores": os.cpu_count(), "load_avg_at_end": list(os.getloadavg())},
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    tmp = args.out.with_suffix(".tmp")
    tmp.write_text(json.dumps(result, indent=2) + "\n")
    tmp.replace(args.out)
    print(json.dumps({k: result[k] for k in ("median", "rps_ratio", "cpu_per_request_ratio")}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
