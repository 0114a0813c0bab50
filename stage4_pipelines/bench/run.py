"""Reliability experiment of stage 4 (``make bench-stage4``): JSON + PNG in reports/stage4_bench/.

1. Fast-mode simulation of ``--days`` days (default 3000) through the ETL core with injected
   faults, the DAG's retry policy and its self-healing of missed days: success within the
   run's retries, days delivered without a human, recoveries, exactly-once, times.
2. Full-size days (``--full-orders``, default 20000 orders) through the same core, interleaved
   with an anchor (extract + transform only, no gate/load) per docs/measuring.md: the ratio says
   what the gate and the warehouse cost on top of reading the data.

Figures come from a shared 2-core machine: compare ratios, not absolute seconds.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import tempfile
import time
from datetime import date, timedelta
from importlib.metadata import version
from pathlib import Path

from opskit.machine import machine_facts
from stage4_pipelines.config import DEFAULT_SLA_DIR
from stage4_pipelines.etl import process_day
from stage4_pipelines.extract import GeneratedSource, extract_day
from stage4_pipelines.reliability import SimulationConfig, run_simulation
from stage4_pipelines.staging import write_text_atomic
from stage4_pipelines.transform import build_facts
from stage4_pipelines.warehouse import connect_warehouse


def _full_size_days(orders: int, repeats: int, work: Path) -> dict[str, object]:
    source = GeneratedSource(orders_per_day=orders, seed=99)
    warehouse = connect_warehouse(f"duckdb:///{work / 'full.duckdb'}")
    days = [date(2024, 1, 1) + timedelta(days=i) for i in range(repeats + 1)]
    full, anchor, rows = [], [], 0
    for i, day in enumerate(days):  # day 0 warms up caches and imports; A B A B after that
        extract_day(source, day)  # generate the day once, outside both timings (it is cached)
        started = time.perf_counter()
        build_facts(extract_day(source, day))
        anchor_s = time.perf_counter() - started
        started = time.perf_counter()
        result = process_day(
            day, source=source, warehouse=warehouse, sla_dir=DEFAULT_SLA_DIR, reports_dir=work
        )
        full_s = time.perf_counter() - started
        if i > 0:
            anchor.append(anchor_s)
            full.append(full_s)
            rows = result.rows_loaded
    warehouse.close()
    return {
        "orders": orders,
        "rows_loaded_per_day": rows,
        "repeats": repeats,
        "full_etl_median_s": statistics.median(full),
        "anchor_extract_transform_median_s": statistics.median(anchor),
        "ratio_full_over_anchor": statistics.median(full) / statistics.median(anchor),
        "rows_per_second": rows / statistics.median(full),
        "note": "generated source in process, generated before timing (cached); DuckDB warehouse",
    }


def _chart(report: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    sim = report["simulation"]
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4))
    hist = sim["attempts_histogram"]
    left.bar(list(hist), list(hist.values()), color=["#4c9", "#fc4", "#f94", "#f64", "#c33"])
    left.set_yscale("log")
    left.set_title(f"{sim['days']} simulated days: attempts needed")
    left.set_ylabel("days (log scale)")
    for x, y in hist.items():
        left.annotate(str(y), (x, max(y, 1)), ha="center", va="bottom")
    right.hist(sim["compute_seconds_per_day"], bins=50, color="#48c")
    right.set_title("compute time per simulated day (retries included)")
    right.set_xlabel("seconds")
    right.set_ylabel("days")
    left.set_xlabel(
        f"attempts of the day's own run (failed: {sim['healed_days']} of them healed later)"
    )
    fig.suptitle(
        f"within the run's retries {sim['success_rate']:.3%} (95% lower bound "
        f"{sim['success_rate_lower_95']:.3%}); delivered without a human "
        f"{sim['delivered_rate']:.3%} (95% lower bound {sim['delivered_rate_lower_95']:.3%});\n"
        f"exactly-once={sim['exactly_once']}, shared 2-core machine"
    )
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=3000)
    parser.add_argument("--orders", type=int, default=30, help="orders per simulated day")
    parser.add_argument("--full-orders", type=int, default=20_000)
    parser.add_argument("--full-repeats", type=int, default=3)
    parser.add_argument("--out", type=Path, default=Path("reports/stage4_bench"))
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    cfg = SimulationConfig.model_validate({"days": args.days, "orders_per_day": args.orders})
    with tempfile.TemporaryDirectory(prefix="stage4-bench-") as tmp:
        started = time.perf_counter()
        sim = run_simulation(cfg, Path(tmp) / "sim")
        full = _full_size_days(args.full_orders, args.full_repeats, Path(tmp))
    report = {
        "command": f"uv run --frozen python stage4_pipelines/bench/run.py --days {args.days} "
        f"--orders {args.orders} --full-orders {args.full_orders} --full-repeats {args.full_repeats}",
        "seed": cfg.seed,
        "sizes": {
            "days": args.days,
            "orders_per_day": args.orders,
            "full_orders": args.full_orders,
        },
        "versions": {
            "python": platform.python_version(),
            **{p: version(p) for p in ("pandas", "pyarrow", "duckdb", "apache-airflow", "prefect")},
        },
        "machine": machine_facts(),
        "simulation": sim.model_dump(mode="json"),
        "full_size_day": full,
        "total_seconds": time.perf_counter() - started,
    }
    write_text_atomic(args.out / "stage4_bench.json", json.dumps(report, indent=2))
    _chart(report, args.out / "stage4_bench.png")
    summary = {
        k: v
        for k, v in report["simulation"].items()
        if k not in ("config", "compute_seconds_per_day")
    }
    print(json.dumps({"simulation": summary, "full_size_day": full}, indent=2))
    print(f"wrote {args.out / 'stage4_bench.json'} and {args.out / 'stage4_bench.png'}")


if __name__ == "__main__":
    main()
