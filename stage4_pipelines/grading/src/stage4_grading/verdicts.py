"""From what the trial and the simulation saw to one verdict per criterion (pure functions).

Each verdict says what was measured, against what, and which of the learner's functions or
engine tasks it came from; a criterion a shortened run cannot judge is *inconclusive*, never
failed (``sim_days`` below 3000, a scenario left out with ``trial_scenarios``).
"""

from __future__ import annotations

from typing import Any

from gradekit.result import ErrorSource, Measurement
from stage4_grading.simulation import SimulationResult
from stage4_grading.stats import DAYS_TO_CLAIM, TARGET, lower_bound, upper_bound

__all__ = [
    "MAX_DAY_SECONDS",
    "processing_time",
    "quality_sla",
    "recovery",
    "scenario_error",
    "success_rate",
]

MAX_DAY_SECONDS = 3600.0


def scenario_error(engine: str, scenario: dict[str, Any]) -> Measurement | None:
    """A failed Measurement when the scenario itself could not be judged (say, no fact table)."""
    if "scenario_error" not in scenario:
        return None
    source = ErrorSource(scenario.get("error_source", ErrorSource.GRADER.value))
    return Measurement.failed(f"{engine}: {scenario['scenario_error']}", source=source)


def success_rate(
    engine: str,
    success: dict[str, Any],
    sim: SimulationResult | None,
    sim_failure: Measurement | None,
) -> Measurement:
    """Real runs first (each day loaded exactly), then the simulation's statistic."""
    days = success["days"]
    engine_ok = success["succeeded"] == len(days)
    runs = "; ".join(
        f"{d['day']} {'exactly once' if d['run_succeeded'] and d['exact'] else _why(d)}"
        for d in days
    )
    real = f"{engine}: {success['succeeded']}/{len(days)} real runs loaded exactly ({runs})"
    if not engine_ok:
        return Measurement(
            value=round(100 * success["succeeded"] / len(days), 3),
            passed=False,
            evidence=f"{real}. Each of these days must load: a transient fault needs a retry, "
            "the weekly drift renames quantity->qty and unit_price_krw->price_krw",
            details={"engine_runs": success},
        )
    policy = success["policy"]
    if policy["missing"]:
        return Measurement.failed(
            f"{real}, but the {engine} run never called {', '.join(policy['missing'])} for the "
            "days it processed: the simulation replays the four steps the engine calls "
            "(extract_data, transform_data, quality_gate, load_data of pipeline.py)",
            details={"engine_runs": success},
        )
    if sim is None:
        return sim_failure or Measurement.failed(f"{real}; the simulation gave no result")
    return _simulated(real, sim, success)


def _why(day: dict[str, Any]) -> str:
    if not day["run_succeeded"]:
        return f"run failed ({day['error'][:300]})"
    return f"not exact ({day['found']})"


def _simulated(real: str, sim: SimulationResult, success: dict[str, Any]) -> Measurement:
    n, s = sim.days, sim.delivered
    low, high = lower_bound(s, n), upper_bound(s, n)
    parts = [
        f"simulation of {n} days through the learner's steps with the {sim.engine} retry "
        f"structure ({sim.policy}): {s}/{n} delivered exactly once, {sim.runs_succeeded} runs "
        f"succeeded; 95% bounds {low:.4%}..{high:.4%}; faults met {sim.faults}",
    ]
    if sim.failed_runs:
        parts.append(f"failed runs e.g. {sim.failed_runs[:3]}")
    if sim.not_exact:
        parts.append(f"loaded but not exact e.g. {sim.not_exact[:3]}")
    parts.append(f"{sim.seconds_per_day_mean:.3f} s per simulated day")
    evidence = f"{real}. " + "; ".join(parts)
    value = round(100 * s / n, 3) if n else 0.0
    details = {"engine_runs": success, "simulation": sim.model_dump()}
    if low >= TARGET:
        return Measurement(value=value, passed=True, evidence=evidence, details=details)
    if high < TARGET:
        return Measurement(
            value=value,
            passed=False,
            evidence=f"clearly below 99.9%: {evidence}",
            details=details,
        )
    if n >= DAYS_TO_CLAIM and not sim.stopped_early:
        return Measurement(
            value=value,
            passed=False,
            evidence=f"{s}/{n} cannot show >= 99.9% at 95% confidence: {evidence}",
            details=details,
        )
    short = sim.stopped_early or f"only {n} days were simulated (sim_days={sim.days_planned})"
    return Measurement(
        value=value,
        evidence=evidence,
        inconclusive=(
            f"{short}: {s}/{n} can show neither >= 99.9% nor below it; sim_days=3000 judges it"
            + (" (with a larger sim_budget_s)" if sim.stopped_early else "")
        ),
        details=details,
    )


def processing_time(engine: str, full: dict[str, Any]) -> Measurement:
    """The full-size day: loaded exactly, within the hour."""
    small = full.get("small_day_seconds") or []
    mean_small = f"{sum(small) / len(small):.1f} s" if small else "n/a"
    head = (
        f"{engine}: one full-size day ({full['orders']} orders) end to end in {full['seconds']} s "
        f"(small days: mean {mean_small})"
    )
    if not full["run_succeeded"]:
        return Measurement(
            value=full["seconds"],
            passed=False,
            evidence=f"{head}, but the run failed, so no processing time can be claimed: "
            f"{full['error'][:600]}",
            details=full,
        )
    if not full["exact"]:
        return Measurement(
            value=full["seconds"],
            passed=False,
            evidence=f"{head}, but the day did not load exactly: {full['found']}",
            details=full,
        )
    return Measurement(
        value=full["seconds"],
        passed=full["seconds"] <= MAX_DAY_SECONDS,
        evidence=f"{head}, loaded exactly ({full['found']})",
        details=full,
    )


def recovery(engine: str, result: dict[str, Any]) -> Measurement:
    """Every recovery step held, counted in the warehouse."""
    steps: dict[str, dict[str, Any]] = result["steps"]
    failed = {name: s["detail"] for name, s in steps.items() if not s["ok"]}
    if failed:
        listed = "; ".join(f"{name.replace('_', ' ')}: {detail}" for name, detail in failed.items())
        return Measurement(
            value=False, evidence=f"{engine}: {len(failed)}/{len(steps)} steps failed — {listed}",
            details=result,
        )  # fmt: skip
    return Measurement(
        value=True,
        evidence=f"{engine}: "
        + "; ".join(f"{n.replace('_', ' ')}: {s['detail']}" for n, s in steps.items()),
        details=result,
    )


def quality_sla(engine: str, result: dict[str, Any]) -> Measurement:
    """Corrupt days stopped before the warehouse, with an alert; the good day loaded."""
    problems = []
    for kind, day in result["days"].items():
        if kind == "good_day":
            if not day["ok"]:
                problems.append(f"the good day did not load exactly: {day['detail']}")
            continue
        if not day["run_failed"]:
            problems.append(f"the {kind} day {day['day']} ran to success (the gate let it through)")
        if day["rows_left"]:
            problems.append(f"the {kind} day {day['day']} left rows in {day['rows_left']}")
        if not day["alerted"]:
            problems.append(f"no Slack alert named the {kind} day {day['day']}")
    if problems:
        return Measurement(
            value=False, evidence=f"{engine}: " + "; ".join(problems), details=result
        )
    return Measurement(
        value=True,
        evidence=f"{engine}: both corrupt days stopped with an alert and no rows left; the good "
        f"day loaded ({result['days']['good_day']['detail']})",
        details=result,
    )
