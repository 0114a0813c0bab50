"""Step 1 (stage 1): validate a generated orders file with rules, report and quarantine."""

from __future__ import annotations

from typing import Any

from demo.config import DemoSettings
from demo.results import Artifact, StepResult, write_json
from stage1_validation import DataValidator, process_large_dataset
from stage1_validation.synthetic import make_orders, rule_id

__all__ = ["run_validation"]


def run_validation(settings: DemoSettings) -> StepResult:
    """Generate orders with labelled errors, validate the CSV in chunks, quarantine bad rows.

    The generator knows which rows it broke, so the step also reports whether the validator
    found exactly those (the same check stage 1's grader makes).
    """
    out = settings.out / "stage1"
    out.mkdir(parents=True, exist_ok=True)
    dataset = make_orders(settings.profile.orders_rows, seed=settings.seed)
    csv_path = out / "orders.csv"
    tmp = csv_path.with_suffix(".csv.tmp")
    dataset.frame.to_csv(tmp, index=False)
    tmp.replace(csv_path)
    validator = DataValidator.from_dict(dataset.rules, source="generated orders rules")
    rules_path = validator.save_rules(out / "orders_rules.yaml")
    chunk = max(500, settings.profile.orders_rows // 4)  # several chunks: shows the merge
    report = process_large_dataset(
        csv_path,
        validator,
        chunk_size=chunk,
        report_path=out / "report.html",
        quarantine_dir=out / "quarantine",
        progress=False,
    )
    write_json(out / "report.json", report)
    broken = {rule: len(rows) for rule, rows in dataset.expected.items() if rows}
    counted = _failing_counts(report)
    quarantine = report.get("quarantine", {})
    summary = {
        "rows": report["summary"]["rows"],
        "rules_run": report["summary"]["rules_run"],
        "rules_failed": report["summary"]["failed"],
        "injected_errors": sum(broken.values()),
        # the generator knows every row it broke: the report must name exactly those counts
        "failing_counts_match_injected": counted == broken,
        "rejected_rows": quarantine.get("rejected_rows"),
        "valid_rows": quarantine.get("valid_rows"),
        "chunk_size": chunk,
    }
    return StepResult(
        step="validate",
        stage=1,
        title="Validate a dataset (데이터 검증)",
        summary=summary,
        artifacts=[
            Artifact(label="orders CSV (generated)", location=str(csv_path)),
            Artifact(label="rules file", location=str(rules_path)),
            Artifact(label="validation report (HTML)", location=str(out / "report.html")),
            Artifact(label="validation report (JSON)", location=str(out / "report.json")),
            Artifact(
                label="quarantine (valid/rejected rows)",
                location=str(out / "quarantine"),
                kind="folder",
            ),
        ],
    )


def _failing_counts(report: dict[str, Any]) -> dict[str, int]:
    """Failing rows per failed rule, keyed ``rule:column`` as the generator labels them."""
    return {
        rule_id(r["rule"], r.get("column")): int(r["failing_count"])
        for r in report.get("rules", [])
        if r["failing_count"]
    }
