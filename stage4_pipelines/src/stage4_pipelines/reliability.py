"""The reliability experiment: thousands of simulated days through the core, faults injected.

Fast mode: the upstream is the in-process generator with the same fault plan as the HTTP
server (5xx, timeouts and truncated files drawn per request), loads are "killed" midway at a
stated rate, and retry waits are *counted* instead of slept. Every day is retried like the DAG
does (3 retries, exponential backoff) and finally reconciled with the generator's truth. A retry
re-runs the whole day, which is stricter than the engines' per-task retries (they re-run only
the failed task): the within-retries figure is a lower bound of theirs.

Like the engines, every run that loads its own day then heals the gaps of the last
``heal_lookback_days`` days with :func:`stage4_pipelines.heal.heal_gaps` (one attempt per gap,
same fault plan, same load kills). Two figures come out, side by side:

* **within the run's retries**: the day loaded in its own run;
* **delivered without a human**: the day loaded, by its own run or a later run's heal, and its
  row counts and checksum reconcile with the source. A day no later run healed (the schedule
  ended first) counts as not delivered.

3000 days without a failure is what it takes to claim >= 99.9 % success at 95 % confidence
(the one-sided Clopper–Pearson bound of 3000/3000 is 0.9990).
"""

from __future__ import annotations

import random
import statistics
import time
from collections import Counter
from datetime import date, timedelta
from pathlib import Path

import pandas as pd
from pydantic import BaseModel, Field
from rich.progress import track

from stage4_pipelines.config import DEFAULT_SLA_DIR
from stage4_pipelines.errors import PermanentError, QualityGateError, SimulatedCrash, TransientError
from stage4_pipelines.etl import process_day
from stage4_pipelines.extract import GeneratedSource
from stage4_pipelines.heal import heal_gaps
from stage4_pipelines.source.faults import FaultConfig
from stage4_pipelines.source.generator import generate_day, order_checksum
from stage4_pipelines.warehouse import BetweenTables, Warehouse, connect_warehouse

__all__ = [
    "DayOutcome",
    "SimulationConfig",
    "SimulationReport",
    "clopper_pearson_lower",
    "run_simulation",
]


class SimulationConfig(BaseModel):
    """What is simulated: how many days, how big, and which faults at which rates."""

    days: int = Field(3000, ge=1)
    orders_per_day: int = Field(30, ge=5)
    start: date = date(2016, 1, 1)
    seed: int = 2024
    faults: FaultConfig = FaultConfig(http_5xx_rate=0.01, timeout_rate=0.005, truncate_rate=0.005)
    load_crash_rate: float = Field(0.01, ge=0, le=1)
    retries: int = 3
    retry_delay_seconds: float = 300.0
    backoff: float = 2.0
    heal_lookback_days: int = Field(7, ge=0)
    """Days each successful run looks back to heal (``STAGE4_HEAL_LOOKBACK_DAYS``); 0 = off."""


class DayOutcome(BaseModel):
    """How one simulated day went: in its own run, and whether a later run healed it."""

    day: date
    attempts: int
    succeeded: bool
    """Loaded by its own run, within its retries."""
    quality_passed: bool
    compute_seconds: float
    waited_seconds: float
    rows_loaded: int = 0
    errors: list[str] = Field(default_factory=list)
    heal_attempts: int = 0
    """How many later runs' heal tasks tried this day."""
    healed_by: date | None = None
    """The day whose run's heal task loaded this day (None: not healed)."""
    heal_seconds: float = 0.0
    """Time this day's run spent healing earlier days."""


class SimulationReport(BaseModel):
    """The figures the roadmap asks for, plus the evidence behind them."""

    config: SimulationConfig
    days: int
    succeeded: int
    """Days loaded within their own run's retries."""
    success_rate: float
    success_rate_lower_95: float
    first_try_successes: int
    recovered_automatically: int
    """Days that needed a retry of their own run and then loaded."""
    failed_days: list[date]
    """Days their own run did not load (some were healed later)."""
    delivered: int
    """Days loaded without a human (own run or a later heal) that reconcile with the source."""
    delivered_rate: float
    delivered_rate_lower_95: float
    healed_days: int
    healed_after_days: dict[str, int] = Field(default_factory=dict)
    """Healed days by how many days later the healing run's day was ("1" = the next run)."""
    heal_attempts: int
    undelivered_days: list[date]
    transient_faults_met: int
    faults_injected: dict[str, int]
    load_crashes_injected: int
    reconciled_days: int
    exactly_once: bool
    mismatched_days: list[date]
    quality_compliance: float
    mean_compute_seconds: float
    p95_compute_seconds: float
    mean_seconds_with_retry_waits: float
    p95_seconds_with_retry_waits: float
    rows_per_second: float
    wall_seconds: float
    attempts_histogram: dict[str, int] = Field(default_factory=dict)
    """How many days needed 1, 2, 3 or 4 attempts ("failed" for days their own run missed)."""
    compute_seconds_per_day: list[float] = Field(default_factory=list)


def clopper_pearson_lower(successes: int, trials: int, confidence: float = 0.95) -> float:
    """One-sided lower confidence bound of a success rate (exact binomial)."""
    if successes == 0:
        return 0.0
    from scipy.stats import beta

    return float(beta.ppf(1 - confidence, successes, trials - successes + 1))


class _LoadKiller:
    """Kills a load after ``fact_orders`` was written (rolled back) at ``rate`` per attempt."""

    def __init__(self, rate: float, seed: int) -> None:
        self.rate = rate
        self.rng = random.Random(seed)
        self.count = 0

    def hook(self, day: date) -> BetweenTables:
        def maybe_kill(table: str) -> None:
            if table == "fact_orders" and self.rng.random() < self.rate:
                self.count += 1
                raise SimulatedCrash(
                    f"simulated worker kill in a load of the run of {day}", step="load"
                )

        return maybe_kill


def _run_one_day(
    day: date,
    cfg: SimulationConfig,
    source: GeneratedSource,
    warehouse: Warehouse,
    reports_dir: Path,
    killer: _LoadKiller,
) -> DayOutcome:
    errors: list[str] = []
    compute, waited, quality_passed = 0.0, 0.0, True
    for attempt in range(cfg.retries + 1):
        started = time.perf_counter()
        try:
            result = process_day(
                day,
                source=source,
                warehouse=warehouse,
                sla_dir=DEFAULT_SLA_DIR,
                reports_dir=reports_dir,
                run_id=f"sim:{attempt + 1}",
                between_tables=killer.hook(day),
            )
        except TransientError as exc:
            compute += time.perf_counter() - started
            errors.append(f"{type(exc).__name__}@{exc.step}")
            if attempt < cfg.retries:
                waited += cfg.retry_delay_seconds * cfg.backoff**attempt
            continue
        except PermanentError as exc:
            compute += time.perf_counter() - started
            errors.append(f"{type(exc).__name__}@{exc.step}")
            quality_passed = not isinstance(exc, QualityGateError)
            return DayOutcome(
                day=day, attempts=attempt + 1, succeeded=False, quality_passed=quality_passed,
                compute_seconds=compute, waited_seconds=waited, errors=errors,
            )  # fmt: skip
        compute += time.perf_counter() - started
        return DayOutcome(
            day=day, attempts=attempt + 1, succeeded=True, quality_passed=True,
            compute_seconds=compute, waited_seconds=waited, rows_loaded=result.rows_loaded,
            errors=errors,
        )  # fmt: skip
    return DayOutcome(
        day=day, attempts=cfg.retries + 1, succeeded=False, quality_passed=quality_passed,
        compute_seconds=compute, waited_seconds=waited, errors=errors,
    )  # fmt: skip


def _heal_after(
    outcome: DayOutcome,
    outcomes: dict[date, DayOutcome],
    cfg: SimulationConfig,
    source: GeneratedSource,
    warehouse: Warehouse,
    reports_dir: Path,
    killer: _LoadKiller,
) -> None:
    """The run of ``outcome.day`` loaded its day: heal the gaps before it, as the engines do."""
    started = time.perf_counter()
    report = heal_gaps(
        outcome.day,
        source=source,
        warehouse=warehouse,
        sla_dir=DEFAULT_SLA_DIR,
        reports_dir=reports_dir,
        lookback_days=cfg.heal_lookback_days,
        run_id=f"sim:{outcome.day}",
        between_tables=killer.hook(outcome.day),
    )
    outcome.heal_seconds = time.perf_counter() - started
    for gap in report.missed:
        outcomes[gap].heal_attempts += 1
    for gap in report.healed:
        outcomes[gap].healed_by = outcome.day


def _reconcile_all(warehouse: Warehouse, cfg: SimulationConfig, days: list[date]) -> list[date]:
    """Days whose loaded facts differ from the generator's truth (one read of each table)."""
    orders = warehouse.read_table("fact_orders")
    items = warehouse.read_table("fact_order_items")
    orders_by_day = {d: g["order_id"].tolist() for d, g in orders.groupby("ds")}
    items_by_day = {d: g for d, g in items.groupby("ds")}
    mismatched = []
    for day in days:
        truth = generate_day(day, orders=cfg.orders_per_day, seed=cfg.seed).expected
        assert truth is not None
        day_items = items_by_day.get(pd.Timestamp(day).date(), items.iloc[0:0])
        revenue = int(day_items["line_total_krw"].sum())
        ids = orders_by_day.get(pd.Timestamp(day).date(), [])
        if (
            len(ids) != truth.orders
            or len(day_items) != truth.items
            or order_checksum(ids, revenue) != truth.order_checksum
        ):
            mismatched.append(day)
    return mismatched


def _p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[-1] if len(values) >= 2 else (values or [0.0])[0]


def run_simulation(
    cfg: SimulationConfig,
    work_dir: Path,
    *,
    warehouse_url: str | None = None,
    progress: bool = True,
) -> SimulationReport:
    """Simulate ``cfg.days`` days into a fresh warehouse under ``work_dir``; return the figures."""
    work_dir = Path(work_dir)
    work_dir.mkdir(parents=True, exist_ok=True)
    db = work_dir / "simulation.duckdb"
    db.unlink(missing_ok=True)
    warehouse = connect_warehouse(warehouse_url or f"duckdb:///{db}")
    source = GeneratedSource(orders_per_day=cfg.orders_per_day, seed=cfg.seed, faults=cfg.faults)
    killer = _LoadKiller(cfg.load_crash_rate, cfg.seed + 1)
    reports_dir = work_dir / "quality"
    days = [cfg.start + timedelta(days=i) for i in range(cfg.days)]
    outcomes: dict[date, DayOutcome] = {}
    started = time.perf_counter()
    for day in track(days, description="simulating days") if progress else days:
        outcome = outcomes[day] = _run_one_day(day, cfg, source, warehouse, reports_dir, killer)
        if outcome.succeeded and cfg.heal_lookback_days > 0:  # heal runs after a good load
            _heal_after(outcome, outcomes, cfg, source, warehouse, reports_dir, killer)
    wall = time.perf_counter() - started
    runs = list(outcomes.values())
    loaded = [o.day for o in runs if o.succeeded or o.healed_by is not None]
    mismatched = _reconcile_all(warehouse, cfg, loaded)
    warehouse.close()
    ok = [o for o in runs if o.succeeded]
    delivered = [d for d in loaded if d not in set(mismatched)]
    healed = [o for o in runs if o.healed_by is not None]
    compute = [o.compute_seconds + o.heal_seconds for o in runs]
    total = [o.compute_seconds + o.heal_seconds + o.waited_seconds for o in runs]
    injected = {k: v for k, v in source.injector.counts.items() if k != "none"}
    lags = Counter(str((o.healed_by - o.day).days) for o in healed if o.healed_by is not None)
    return SimulationReport(
        config=cfg,
        days=len(runs),
        succeeded=len(ok),
        success_rate=len(ok) / len(runs),
        success_rate_lower_95=clopper_pearson_lower(len(ok), len(runs)),
        first_try_successes=sum(o.attempts == 1 for o in ok),
        recovered_automatically=sum(o.attempts > 1 for o in ok),
        failed_days=[o.day for o in runs if not o.succeeded],
        delivered=len(delivered),
        delivered_rate=len(delivered) / len(runs),
        delivered_rate_lower_95=clopper_pearson_lower(len(delivered), len(runs)),
        healed_days=len(healed),
        healed_after_days=dict(sorted(lags.items(), key=lambda kv: int(kv[0]))),
        heal_attempts=sum(o.heal_attempts for o in runs),
        undelivered_days=sorted(set(days) - set(delivered)),
        transient_faults_met=sum(len(o.errors) for o in runs),
        faults_injected=injected,
        load_crashes_injected=killer.count,
        reconciled_days=len(delivered),
        exactly_once=not mismatched,
        mismatched_days=mismatched,
        quality_compliance=sum(o.quality_passed for o in runs) / len(runs),
        mean_compute_seconds=statistics.fmean(compute),
        p95_compute_seconds=_p95(compute),
        mean_seconds_with_retry_waits=statistics.fmean(total),
        p95_seconds_with_retry_waits=_p95(total),
        rows_per_second=sum(o.rows_loaded for o in ok)
        / max(sum(o.compute_seconds for o in runs), 1e-9),
        wall_seconds=wall,
        attempts_histogram={
            label: sum(1 for o in runs if (str(o.attempts) if o.succeeded else "failed") == label)
            for label in [*(str(i) for i in range(1, cfg.retries + 2)), "failed"]
        },
        compute_seconds_per_day=[round(c, 5) for c in compute],
    )
