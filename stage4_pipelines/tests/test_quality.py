import json
from datetime import date

import pandas as pd
import pytest

from stage4_pipelines.config import DEFAULT_SLA_DIR
from stage4_pipelines.errors import QualityGateError
from stage4_pipelines.extract import GeneratedSource, extract_day
from stage4_pipelines.quality import _builtin_validate, run_quality_gate
from stage4_pipelines.source import FaultConfig
from stage4_pipelines.transform import build_facts

DAY = date(2024, 6, 1)


def test_a_good_day_passes_and_the_report_is_written(work_dir):
    facts = build_facts(extract_day(GeneratedSource(), DAY))
    report = run_quality_gate(DAY, facts.tables, DEFAULT_SLA_DIR, work_dir)
    assert report.passed
    assert report.validator == "stage1_validation"  # the gate runs stage 1's validator
    assert json.loads((work_dir / "quality_2024-06-01.json").read_text())["passed"] is True


def test_a_corrupt_day_is_stopped_with_the_failed_rules_and_report(work_dir):
    source = GeneratedSource(faults=FaultConfig(corrupt_days={DAY}))
    facts = build_facts(extract_day(source, DAY))
    with pytest.raises(QualityGateError) as info:
        run_quality_gate(DAY, facts.tables, DEFAULT_SLA_DIR, work_dir)
    rules = info.value.failed_rules
    assert any(rule.startswith("fact_orders.customer_id:not_null") for rule in rules)
    assert any(rule.startswith("fact_order_items.quantity:range") for rule in rules)
    assert json.loads(info.value.report_path.read_text())["passed"] is False


def test_builtin_evaluator_reads_the_stage1_rule_format(tmp_path):
    rules = tmp_path / "t.yaml"
    rules.write_text(
        "dataset:\n  rules:\n    - {rule: unique, columns: [id]}\n"
        "    - {rule: compare, left: a, op: '>=', right: b}\n"
        "columns:\n  a:\n    - {rule: range, min: 0, max: 10, severity: warning, mostly: 0.5}\n"
        "  c:\n    - {rule: regex, pattern: '^x'}\n    - {rule: allowed_values, values: [x1, x2]}\n"
    )
    good = pd.DataFrame({"id": [1, 2], "a": [5, 20], "b": [1, 2], "c": ["x1", None]})
    assert _builtin_validate(good, rules)["passed"]  # the range breach is a tolerated warning
    bad = pd.DataFrame({"id": [1, 1], "a": [0, 0], "b": [1, 2], "c": ["y", "x2"]})
    report = _builtin_validate(bad, rules)
    failing = {r["rule"] for r in report["rules"] if not r["passed"]}
    assert failing == {"unique", "compare", "regex", "allowed_values"}
