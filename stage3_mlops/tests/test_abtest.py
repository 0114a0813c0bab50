"""A/B framework: assignment, tests against known values, and seeded simulations."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from stage3_mlops.abtest import (
    ABTest,
    assign_variant,
    msprt_test,
    power_two_proportions,
    sample_ratio_mismatch,
    sample_size_means,
    sample_size_two_proportions,
    two_proportion_ztest,
    welch_ttest,
)
from stage3_mlops.errors import DataError
from stage3_mlops.simulations import simulate_aa, simulate_peeking, simulate_power


def test_assignment_is_deterministic_and_follows_the_split() -> None:
    splits = {"control": 0.8, "treatment": 0.2}
    arms = [assign_variant(u, "exp", splits) for u in range(20_000)]
    assert arms == [assign_variant(u, "exp", splits) for u in range(20_000)]
    assert abs(arms.count("treatment") / len(arms) - 0.2) < 0.01
    other = [assign_variant(u, "other-exp", splits) for u in range(2000)]
    assert other != arms[:2000]  # the experiment name salts the hash


def test_ztest_matches_the_textbook_formula() -> None:
    r = two_proportion_ztest(100, 1000, 130, 1000)
    pooled = 230 / 2000
    z = 0.03 / np.sqrt(pooled * (1 - pooled) * 2 / 1000)
    assert r.statistic == pytest.approx(z)
    assert r.p_value == pytest.approx(2 * stats.norm.sf(z))
    assert r.ci_low < 0.03 < r.ci_high and r.significant


def test_welch_matches_scipy() -> None:
    rng = np.random.default_rng(0)
    a, b = rng.normal(0, 1, 50), rng.normal(0.5, 2, 80)
    ours = welch_ttest(a, b)
    ref = stats.ttest_ind(b, a, equal_var=False)
    assert ours.statistic == pytest.approx(ref.statistic)
    assert ours.p_value == pytest.approx(ref.pvalue)


def test_aa_false_positive_rate_is_near_alpha() -> None:
    fpr = simulate_aa(4000, 500, 0.1, alpha=0.05, seed=1)
    assert 0.035 < fpr < 0.065


def test_known_effect_is_detected_at_the_planned_power() -> None:
    n = sample_size_two_proportions(0.10, 0.03, power=0.8)
    assert power_two_proportions(0.10, 0.13, n) == pytest.approx(0.8, abs=0.01)
    assert 0.76 < simulate_power(3000, n, 0.10, 0.13, seed=2) < 0.84


def test_peeking_inflates_the_ztest_but_not_msprt() -> None:
    result = simulate_peeking(1500, 2000, 0.1, looks=20, seed=3)
    assert result.naive_z_fpr > 0.12
    assert result.msprt_fpr <= 0.05


def test_msprt_rejects_a_large_effect() -> None:
    assert msprt_test(100, 2000, 200, 2000).reject
    assert not msprt_test(100, 2000, 102, 2000).reject


def test_srm_flags_a_broken_split_only() -> None:
    assert sample_ratio_mismatch({"a": 10_400, "b": 9_600}, {"a": 0.5, "b": 0.5}).mismatch
    assert not sample_ratio_mismatch({"a": 10_050, "b": 9_950}, {"a": 0.5, "b": 0.5}).mismatch


def test_power_calculator_separates_easy_from_hopeless_comparisons() -> None:
    # per-user NDCG@10 sd ≈ 0.3: a 0.15 gap needs tens of users per arm, a 0.015 gap thousands
    assert sample_size_means(0.3, 0.15) < 100
    assert sample_size_means(0.3, 0.015) > 5000


def test_abtest_logs_exposures_and_outcomes(tmp_path) -> None:
    test = ABTest("t", {"control": 0.5, "treatment": 0.5})
    rng = np.random.default_rng(4)
    for user in range(4000):
        arm = test.log_exposure(user)
        if rng.random() < (0.10 if arm == "control" else 0.16):
            test.log_outcome(user)
    assert test.log_exposure(0) == test.exposures[0]  # idempotent
    assert test.conversion_test().significant
    assert not test.srm_check().mismatch
    assert test.sequential_test().reject
    assert test.save(tmp_path / "ab.json").exists()
    with pytest.raises(DataError, match="log_exposure first"):
        test.log_outcome("stranger")
