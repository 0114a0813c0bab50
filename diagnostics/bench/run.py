"""How long grading takes, and what problem 2's memory probe sees (JSON + PNG in reports/).

Interleaves (A B A B ...) grading the reference solutions (A) and the blank templates (B, the
anchor: sandbox start-up and probe overhead with no candidate work), then grades the
whole-file-reading flaw once on the same large log to show the memory probe's contrast.

    uv run --frozen python diagnostics/bench/run.py --large-mb 256 --repeats 3
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import time
from importlib import metadata
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
from rich.console import Console
from rich.progress import track

from diagnostics.config import GradingConfig
from diagnostics.grading import CASES_DIR, GradingSession, reference_dir
from diagnostics.hidden.logs import write_large_log
from gradekit import run_checks, write_atomic

MEMBER_DIR = Path(__file__).resolve().parents[1]
console = Console()


def grade_once(candidate: Path, config: GradingConfig, work_dir: Path) -> dict[str, object]:
    """Grade one folder; return wall seconds, per-problem sandbox seconds and the score."""
    session = GradingSession(candidate, config, work_dir)
    started = time.perf_counter()
    card = run_checks("diagnostics", "bench", str(candidate), session.checks())
    wall = time.perf_counter() - started
    memory = next((c.details.get("observed") for c in card.criteria if c.id == "p2.memory"), None)
    return {
        "wall_s": wall,
        "sandbox_s": {n: o.duration_s for n, o in session.outcomes.items()},
        "points": sum(c.weight for c in card.criteria if c.passed),
        "memory_extra_mb": memory if isinstance(memory, int | float) else None,
    }


def main() -> None:
    """Run the measurement and write reports/diagnostics/bench.{json,png}."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--large-mb", type=int, default=256, help="size of problem 2's log")
    parser.add_argument("--repeats", type=int, default=3, help="A/B pairs to run")
    parser.add_argument("--out", type=Path, default=Path("reports/diagnostics"))
    args = parser.parse_args()
    out = args.out.resolve()
    config = GradingConfig(large_file_mb=args.large_mb, data_dir=str(out / "_data"))
    started = time.perf_counter()
    large = write_large_log(out / "_data", args.large_mb, config.seed)
    write_large_log(out / "_data", config.small_file_mb, config.seed)
    generate_s = time.perf_counter() - started
    console.print(
        f"large log: {large.size_bytes / 2**20:.0f} MB ({generate_s:.1f} s, reused if cached)"
    )
    grade_once(reference_dir(), config, out / "bench-warmup")  # page cache, imports
    runs: dict[str, list[dict[str, object]]] = {"reference": [], "templates": []}
    folders = {"reference": reference_dir(), "templates": MEMBER_DIR / "templates"}
    for i in track(range(args.repeats), description="grading A/B pairs"):
        for name, folder in folders.items():
            runs[name].append(grade_once(folder, config, out / f"bench-{name}-{i}"))
    whole = grade_once(
        CASES_DIR / "p2-reads-whole-file",
        config.model_copy(update={"problems": (2,)}),
        out / "bench-whole-file",
    )
    medians = {name: statistics.median(float(r["wall_s"]) for r in rs) for name, rs in runs.items()}
    per_problem = {
        name: {
            str(n): statistics.median(float(r["sandbox_s"][n]) for r in rs)  # type: ignore[index]
            for n in (1, 2, 3)
        }
        for name, rs in runs.items()
    }
    result = {
        "what": "wall time of grading a whole candidate folder (3 sandboxes, sequential)",
        "machine": {
            "cores": os.cpu_count(),
            "cpu": platform.processor() or platform.machine(),
            "load_average_at_end": os.getloadavg(),
        },
        "large_file_mb": args.large_mb,
        "large_file_bytes": large.size_bytes,
        "large_file_in_page_cache": True,
        "seed": config.seed,
        "repeats": args.repeats,
        "median_wall_s": medians,
        "ratio_reference_to_templates": medians["reference"] / medians["templates"],
        "median_sandbox_s_by_problem": per_problem,
        "memory_extra_mb": {  # growth on the large log minus growth on the small one
            "reference": runs["reference"][0]["memory_extra_mb"],
            "reads-whole-file": whole["memory_extra_mb"],
            "slack": config.memory_slack_mb,
        },
        "points": {name: rs[0]["points"] for name, rs in runs.items()}
        | {"reads-whole-file (problem 2 only)": whole["points"]},
        "runs": runs,
        "versions": {
            "python": platform.python_version(),
            **{p: metadata.version(p) for p in ("pandas", "fastapi", "uvicorn", "httpx")},
        },
    }
    write_atomic(out / "bench.json", json.dumps(result, indent=2, default=str))
    _chart(result, out / "bench.png")
    console.print_json(json.dumps({k: result[k] for k in list(result)[:-2]}, default=str))
    console.print(f"wrote {out / 'bench.json'} and {out / 'bench.png'}")


def _chart(result: dict[str, object], path: Path) -> None:
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4))
    per_problem: dict[str, dict[str, float]] = result["median_sandbox_s_by_problem"]  # type: ignore[assignment]
    names = list(per_problem)
    for offset, name in enumerate(names):
        values = [per_problem[name][p] for p in ("1", "2", "3")]
        left.bar([i + offset * 0.4 for i in range(3)], values, width=0.4, label=name)
    left.set_xticks([0.2, 1.2, 2.2], ["problem 1", "problem 2", "problem 3"])
    left.set_ylabel("median sandbox seconds")
    left.set_title(f"Grading time per problem ({result['large_file_mb']} MB log)")
    left.legend()
    memory: dict[str, float] = result["memory_extra_mb"]  # type: ignore[assignment]
    labels = ["reference", "reads-whole-file"]
    right.bar(labels, [memory[k] or 0 for k in labels], color=["tab:green", "tab:red"])
    right.axhline(memory["slack"], color="black", linestyle="--", label="slack")
    right.set_ylabel("extra RSS growth, large log vs a quarter of it (MB)")
    right.set_title("Problem 2 memory probe")
    right.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


if __name__ == "__main__":
    main()
