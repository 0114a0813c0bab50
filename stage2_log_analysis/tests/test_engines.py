"""Single process and a real Dask LocalCluster agree to the row, and match the ground truth."""

from __future__ import annotations

import gzip
from pathlib import Path

import pandas as pd
import pytest

from stage2_log_analysis.aggregate import combine_partials
from stage2_log_analysis.analysis import analyze, plan_work
from stage2_log_analysis.engines import dask_client, run_dask, run_local
from stage2_log_analysis.errors import AnalysisConfigError
from stage2_log_analysis.scoring import score_counts


def test_local_engine_counts_match_the_truth_exactly(small_log):
    path, truth = small_log
    result = analyze([path], engine="local", range_bytes=1 << 20)
    assert result.report.lines == truth.lines
    assert result.report.rejected == truth.malformed_lines > 0
    assert result.report.parsed + result.report.rejected == result.report.lines
    score = score_counts(result.minutes, truth, extra=("bytes", "distinct_ips"))
    assert score.minutes_exact == score.minutes_truth, score.first_mismatch


def test_range_size_does_not_change_the_result(small_log):
    path, _ = small_log
    a = analyze([path], range_bytes=1 << 20).minutes
    b = analyze([path], range_bytes=333_333).minutes
    pd.testing.assert_frame_equal(a, b)


@pytest.mark.slow
def test_dask_engine_equals_local_engine_to_the_row(small_log):
    path, _ = small_log
    work = plan_work([path], range_bytes=1 << 20)
    local = run_local(work)
    with dask_client(n_workers=2, processes=False) as client:
        distributed = combine_partials(run_dask(work, client))
    from stage2_log_analysis.stats import build_table, top_paths

    for level in ("minute", "hour", "day"):
        pd.testing.assert_frame_equal(build_table(local, level), build_table(distributed, level))
    pd.testing.assert_frame_equal(top_paths(local), top_paths(distributed))
    assert (local.lines, local.rejected) == (distributed.lines, distributed.rejected)


def test_gzip_input_gives_the_same_statistics(small_log, tmp_path: Path):
    path, _ = small_log
    gz = tmp_path / "access.log.gz"
    gz.write_bytes(gzip.compress(path.read_bytes(), compresslevel=1))
    plain = analyze([path]).minutes
    compressed = analyze([gz]).minutes
    pd.testing.assert_frame_equal(plain, compressed)


def test_hourly_and_daily_rollups_add_up(small_log):
    path, _ = small_log
    result = analyze([path])
    assert result.hourly["requests"].sum() == result.minutes["requests"].sum()
    assert result.daily["status_5xx"].sum() == result.minutes["status_5xx"].sum()
    assert (result.hourly["distinct_ips"] >= result.minutes["distinct_ips"].max() * 0).all()
    assert result.minutes.index.tz is not None and str(result.minutes.index.tz) == "UTC"
    assert result.top_paths.groupby("hour")["rank"].max().max() <= 10


def test_analyze_rejects_unknown_engine_and_empty_input(small_log):
    path, _ = small_log
    with pytest.raises(AnalysisConfigError, match="engine"):
        analyze([path], engine="spark")  # type: ignore[arg-type]
    with pytest.raises(AnalysisConfigError, match="no input files"):
        analyze([])


@pytest.mark.slow
def test_dask_gets_absolute_paths_and_says_when_a_worker_cannot_read_one(
    tiny_log, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    from stage2_log_analysis.errors import LogInputError
    from stage2_log_analysis.ranges import ByteRange

    path, truth = tiny_log
    monkeypatch.chdir(path.parent)
    result = analyze([path.name], engine="dask", n_workers=1)  # a relative path
    assert result.report.files == [str(path)]
    assert int(result.minutes["requests"].sum()) == sum(truth.minutes["requests"])
    # a path this machine has but the workers do not: the error says what to do
    missing = ByteRange(str(tmp_path / "only-on-the-client.log"), 0, 1000)
    fmt = plan_work([path])[0][1]
    with (
        dask_client(n_workers=1) as client,
        pytest.raises(LogInputError, match="the workers must see the same path"),
    ):
        run_dask([(missing, fmt)], client)


@pytest.mark.slow
def test_the_local_cluster_listens_on_this_machine_only(tiny_log):
    with dask_client(n_workers=1) as client:
        info = client.scheduler_info()  # type: ignore[attr-defined]
        assert info["address"].startswith("tcp://127.0.0.1:")
        assert "127.0.0.1" in client.dashboard_link  # type: ignore[attr-defined]


def test_workers_with_a_scheduler_is_refused_by_name():
    with (
        pytest.raises(AnalysisConfigError, match="Drop --workers"),
        dask_client("tcp://127.0.0.1:1", n_workers=2),
    ):
        pass


def test_threads_in_the_local_engine_give_the_same_result(small_log):
    path, _ = small_log
    one = analyze([path], range_bytes=1 << 20)
    two = analyze([path], range_bytes=1 << 20, threads=2)
    pd.testing.assert_frame_equal(one.minutes, two.minutes)
    pd.testing.assert_frame_equal(one.top_paths, two.top_paths)


def test_a_sparse_log_is_filed_by_runs_of_days_with_the_same_result(tmp_path, monkeypatch):
    from stage2_log_analysis import day_buckets
    from stage2_log_analysis.generator import generate_log, shape_config

    path = tmp_path / "sparse.log"
    truth = generate_log(path, shape_config("sparse_hourly", seed=4, size_bytes=3_000_000))
    widths: list[int | None] = []
    real_close = day_buckets.DayBuckets.close

    def close(self: day_buckets.DayBuckets) -> None:
        widths.append(self.width_days)
        real_close(self)

    monkeypatch.setattr(day_buckets.DayBuckets, "close", close)
    runs = analyze([path], range_bytes=400_000, memory_budget_bytes=1 << 16)  # spills too
    monkeypatch.setattr(day_buckets, "TARGET_LINES", 1)  # one day a bucket
    days = analyze([path], range_bytes=400_000, memory_budget_bytes=1 << 16)
    assert widths[0] is not None and widths[0] > 1 and widths[1] == 1
    assert runs.report.spilled_bytes > 0
    for table in ("minutes", "hourly", "daily", "top_paths"):
        pd.testing.assert_frame_equal(getattr(runs, table), getattr(days, table))
    assert int(runs.minutes["requests"].sum()) == sum(truth.minutes["requests"])
