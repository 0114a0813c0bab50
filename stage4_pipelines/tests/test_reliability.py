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
    assert report.exactly_once and report.reconciled_days == report.delivered
    assert report.succeeded + len(report.failed_days) == 12


def test_later_runs_heal_days_their_own_retries_missed(tmp_path):
    # 1 - 0.7**5 = 83 % of extracts fail: many days miss all 4 attempts, later runs heal some
    cfg = SimulationConfig(
        days=20, orders_per_day=10, faults=FaultConfig(http_5xx_rate=0.3), load_crash_rate=0.2
    )
    report = run_simulation(cfg, tmp_path, progress=False)
    assert report.healed_days > 0 and report.heal_attempts >= report.healed_days
    assert sum(report.healed_after_days.values()) == report.healed_days
    assert all(1 <= int(lag) <= cfg.heal_lookback_days for lag in report.healed_after_days)
    # every delivered day, healed ones included, reconciles with the source's truth
    assert report.exactly_once and report.delivered == report.succeeded + report.healed_days
    assert set(report.undelivered_days) < set(report.failed_days)
    assert report.delivered_rate > report.success_rate

    without = run_simulation(
        cfg.model_copy(update={"heal_lookback_days": 0}), tmp_path / "off", progress=False
    )
    assert without.healed_days == 0 and without.delivered == without.succeeded


def test_simulation_counts_a_permanently_broken_day_as_failed(tmp_path):
    from datetime import date

    cfg = SimulationConfig(
        days=3, orders_per_day=10, start=date(2024, 1, 1), load_crash_rate=0.0,
        faults=FaultConfig(broken_days={date(2024, 1, 2)}),
    )  # fmt: skip
    report = run_simulation(cfg, tmp_path, progress=False)
    assert report.failed_days == [date(2024, 1, 2)]
    assert report.success_rate == 2 / 3
    # the next run tried to heal it, but the upstream is still down: not delivered either
    assert report.heal_attempts == 1 and report.undelivered_days == [date(2024, 1, 2)]
    assert report.delivered_rate == 2 / 3


def test_a_last_day_no_later_run_could_heal_counts_as_not_delivered(tmp_path):
    from datetime import date

    cfg = SimulationConfig(
        days=3, orders_per_day=10, start=date(2024, 1, 1), load_crash_rate=0.0,
        faults=FaultConfig(broken_days={date(2024, 1, 3)}),
    )  # fmt: skip
    report = run_simulation(cfg, tmp_path, progress=False)
    assert report.heal_attempts == 0 and report.undelivered_days == [date(2024, 1, 3)]
