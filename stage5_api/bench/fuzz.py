"""Schemathesis against stage 5's own OpenAPI schema, on a real server: 0 server errors expected.

    uv run --frozen python stage5_api/bench/fuzz.py --max-examples 100 --seed 1
    # → stage5_api/bench/results/fuzz.json (make fuzz-stage5)

The server runs as deployed (``python -m stage5_api.serve``, 2 workers, bundled model, no
Redis) on a free loopback port, with a data directory holding a valid CSV and Parquet input so
batch jobs can succeed as well as fail. Schemathesis runs every phase (coverage, fuzzing,
stateful) with the ``not_a_server_error`` check and the API key. Server errors are counted
twice: by schemathesis, and by the server's own request counter (every 5xx it answered, summed
over workers), so a 500 that schemathesis failed to attribute still counts. Also recorded: how
many job records the run left (retention keeps them bounded) and the machine's load.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
import pandas as pd

from opskit.processes import free_port, stop_tree, wait_until_answers
from stage5_api.services.bundled_model import make_training_data

HERE = Path(__file__).resolve().parent
KEY = "fuzz-key"


def _cpu_model() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


def _server_5xx(metrics: str) -> int:
    total = 0.0
    for line in metrics.splitlines():
        if line.startswith("stage5_http_requests_total{") and 'status="5' in line:
            total += float(line.rsplit(" ", 1)[1])
    return int(total)


def run(max_examples: int, seed: int, workers: int, max_time: int | None) -> dict[str, Any]:
    """Start a server, fuzz it, stop it; the result record."""
    with tempfile.TemporaryDirectory(prefix="stage5-fuzz-") as tmp:
        root = Path(tmp)
        data_dir, prom = root / "data", root / "prometheus"
        data_dir.mkdir()
        prom.mkdir()
        x, _ = make_training_data(200, seed=5)
        frame = pd.DataFrame(x, columns=[f"f{i}" for i in range(x.shape[1])])
        frame.to_csv(data_dir / "rows.csv", index=False)
        frame.to_parquet(data_dir / "rows.parquet", index=False)
        port = free_port()
        env = {**os.environ, "STAGE5_REDIS_URL": "none", "MLFLOW_TRACKING_URI": ""}
        env |= {"STAGE5_DATA_DIR": str(data_dir), "STAGE5_API_KEY": KEY}
        env |= {"PROMETHEUS_MULTIPROC_DIR": str(prom)}
        cmd = [sys.executable, "-m", "stage5_api.serve", "stage5_api.main:app"]
        cmd += ["--port", str(port), "--workers", str(workers)]
        log = root / "server.log"
        with log.open("wb") as out:
            server = subprocess.Popen(cmd, env=env, stdout=out, stderr=subprocess.STDOUT)
        url = f"http://127.0.0.1:{port}"
        report = root / "report.json"
        st = [str(Path(sys.executable).parent / "schemathesis"), "run", url + "/openapi.json"]
        st += ["-H", f"X-API-Key: {KEY}", "--checks", "not_a_server_error"]
        st += ["--max-examples", str(max_examples), "--seed", str(seed)]
        st += ["--generation-database", "none", "--no-color", "--workers", "1"]
        st += ["--report", "json", "--report-json-path", str(report)]
        if max_time:
            st += ["--max-time", str(max_time)]
        started = time.monotonic()
        try:
            wait_until_answers(url + "/ready", process=server, timeout_s=240)
            done = subprocess.run(  # cwd: schemathesis leaves a .schemathesis folder behind
                st, capture_output=True, text=True, env=env, check=False, cwd=root
            )
            metrics = httpx.get(url + "/metrics", timeout=30).text
        finally:
            stop_tree(server, timeout_s=30)
        elapsed = time.monotonic() - started
        if not report.is_file():
            raise SystemExit(f"schemathesis wrote no report:\n{done.stdout[-3000:]}{done.stderr}")
        result = json.loads(report.read_text())
        jobs_left = len(list((data_dir / "_jobs").glob("*.json")))
        cases = result["test_cases"]
        return {
            "command": "uv run --frozen python stage5_api/bench/fuzz.py "
            f"--max-examples {max_examples} --seed {seed} --workers {workers}"
            + (f" --max-time {max_time}" if max_time else ""),
            "schemathesis_version": result["schemathesis_version"],
            "checks": "not_a_server_error",
            "phases": sorted(p for p, v in result["phases"].items() if v["status"] == "success"),
            "operations": result["operations"]["tested"],
            "cases": cases["generated"],
            "cases_with_failures": cases["with_failures"],
            "server_errors": cases["unique_failures"],
            "errored": cases["errored"],
            "server_5xx_counted_by_the_server": _server_5xx(metrics),
            "exit_code": done.returncode,
            "job_records_left": jobs_left,
            "failures": [str(f)[:500] for f in result["failures"]][:20],
            "duration_s": round(elapsed, 1),
            "machine": {
                "cores": os.cpu_count(),
                "cpu_model": _cpu_model(),
                "load_avg_at_end": [round(v, 2) for v in os.getloadavg()],
            },
        }


def main(argv: list[str] | None = None) -> int:
    """Fuzz, write the result JSON, exit 1 on any server error."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--max-examples", type=int, default=100, help="cases per operation and phase")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--workers", type=int, default=2, help="server workers")
    p.add_argument("--max-time", type=int, default=None, help="stop after this many seconds")
    p.add_argument("--out", type=Path, default=HERE / "results" / "fuzz.json")
    args = p.parse_args(argv)
    result = run(args.max_examples, args.seed, args.workers, args.max_time)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    tmp = args.out.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(result, indent=2) + "\n")
    tmp.replace(args.out)
    bad = result["server_errors"] + result["server_5xx_counted_by_the_server"] + result["errored"]
    print(
        f"{result['cases']} cases over {result['operations']} operations: "
        f"{result['server_errors']} server errors found by schemathesis, "
        f"{result['server_5xx_counted_by_the_server']} 5xx counted by the server → {args.out}"
    )
    return 1 if bad or result["exit_code"] != 0 else 0


if __name__ == "__main__":
    sys.exit(main())
