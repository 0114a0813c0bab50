"""Grader options are checked once, with the bad one named; warehouses start empty."""

from __future__ import annotations

from pathlib import Path

import pytest

from gradekit.stages import STAGES, GradeContext
from stage4_grading.environment import fresh_warehouse
from stage4_grading.options import GraderOptions, OptionsError


def _ctx(tmp_path: Path, **options: str) -> GradeContext:
    return GradeContext(
        stage=STAGES["stage4"], impl_spec="", default_impl="stage4_pipelines.pipeline",
        module_hint="pipeline", work_dir=tmp_path, options=options,
    )  # fmt: skip


def test_defaults_claim_99_9_and_time_a_full_size_day(tmp_path: Path) -> None:
    options = GraderOptions.from_context(_ctx(tmp_path))
    assert options.sim_days == 3000 and options.full_orders == 20_000
    assert options.engines == ["airflow", "prefect"] and options.simulation_budget_s == 2100


def test_lists_and_numbers_are_parsed(tmp_path: Path) -> None:
    options = GraderOptions.from_context(
        _ctx(tmp_path, engines="prefect", sim_days="300", trial_scenarios="quality,success")
    )
    assert options.engines == ["prefect"] and options.sim_days == 300
    assert options.trial_scenarios == ["success", "quality"]  # the trial's own order


@pytest.mark.parametrize(
    ("name", "value", "said"),
    [("sim_days", "lots", "sim_days"), ("engines", "luigi", "luigi"), ("sim_day", "3", "sim_day"),
     ("warehouse_url", "mysql://x", "PostgreSQL")],
)  # fmt: skip
def test_a_bad_option_is_named(tmp_path: Path, name: str, value: str, said: str) -> None:
    with pytest.raises(OptionsError, match=said):
        GraderOptions.from_context(_ctx(tmp_path, **{name: value}))


def test_a_duckdb_warehouse_starts_empty(tmp_path: Path) -> None:
    (tmp_path / "warehouse.duckdb").write_text("stale")
    url = fresh_warehouse("", tmp_path, "x")
    assert url == f"duckdb:///{(tmp_path / 'warehouse.duckdb').resolve()}"
    assert not (tmp_path / "warehouse.duckdb").exists()


@pytest.mark.service
def test_a_postgres_warehouse_is_a_new_database(tmp_path: Path) -> None:
    import psycopg

    url = fresh_warehouse("postgresql://postgres@127.0.0.1:5432", tmp_path, "options_test")
    assert url == "postgresql://postgres@127.0.0.1:5432/stage4_grade_options_test"
    with psycopg.connect(url) as conn:
        conn.execute("CREATE TABLE t (x int)")
    url = fresh_warehouse("postgresql://postgres@127.0.0.1:5432/test", tmp_path, "options_test")
    with psycopg.connect(url) as conn:  # dropped and made again: empty
        assert conn.execute("SELECT count(*) FROM pg_tables WHERE tablename = 't'").fetchone() == (
            0,
        )
    with psycopg.connect("postgresql://postgres@127.0.0.1:5432/test", autocommit=True) as conn:
        conn.execute("DROP DATABASE stage4_grade_options_test WITH (FORCE)")
