from stage4_pipelines.reliability import SimulationConfig, clopper_pearson_lower, run_simulation
from stage4_pipelines.source import FaultConfig


def test_clopper_pearson_matches_the_rule_of_three():
    assert 0.9989 < clopper_pearson_lower(3000, 3000) < 0.9991
    assert clopper_pearson_lower(0, 10) == 0.0


def test_simulation_recovers_transient_faults_and_reconciles_every_day(tmp_path):
    cfg = SimulationConfig(
        days=12,
        orders_per_day=10,
        faults=FaultConfig(http_5xx_rate=0.1, truncate_rate=0.05),
        load_crash_rate=0.2,
    )
    report = run_simulation(cfg, tmp_path, progress=False)
    assert report.transient_faults_met > 0 and report.recovered_automatically > 0
    assert report.exactly_once and report.reconciled_days == report.succeeded
    assert report.succeeded + len(report.failed_days) == 12


def test_simulation_counts_a_permanently_broken_day_as_failed(tmp_path):
    from datetime import date

    cfg = SimulationConfig(
        days=3, orders_per_day=10, start=date(2024, 1, 1), load_crash_rate=0.0,
        faults=FaultConfig(broken_days={date(2024, 1, 2)}),
    )  # fmt: skip
    report = run_simulation(cfg, tmp_path, progress=False)
    assert report.failed_days == [date(2024, 1, 2)]
    assert report.success_rate == 2 / 3
