from typer.testing import CliRunner

from stage4_pipelines.cli import app
from stage4_pipelines.warehouse import connect_warehouse


def test_core_backfill_loads_every_day_and_reruns_idempotently(tmp_path, monkeypatch):
    url = f"duckdb:///{tmp_path / 'w.duckdb'}"
    monkeypatch.setenv("STAGE4_SOURCE_URL", "generated://?orders=15")
    monkeypatch.setenv("STAGE4_WAREHOUSE_URL", url)
    monkeypatch.setenv("STAGE4_REPORTS_DIR", str(tmp_path / "reports"))
    runner = CliRunner()
    args = ["backfill", "--start", "2024-01-01", "--end", "2024-01-03"]
    assert runner.invoke(app, args).exit_code == 0
    result = runner.invoke(app, args)
    assert result.exit_code == 0 and "3/3 day(s) loaded" in result.output
    warehouse = connect_warehouse(url)
    assert len(warehouse.loaded_days()) == 3
    assert set(warehouse.read_table("etl_load_audit")["load_count"]) == {2}


def test_prefect_pool_commands_refuse_bad_input_before_asking_a_server(tmp_path):
    runner = CliRunner()
    reversed_range = ["cluster", "prefect-backfill", "--start", "2024-01-05", "--end", "2024-01-01"]
    result = runner.invoke(app, [*reversed_range, "--run-dir", str(tmp_path)])
    assert result.exit_code == 2 and "swap them" in result.output
    up = ["cluster", "prefect-up", "--workers", "0", "--run-dir", str(tmp_path)]
    assert runner.invoke(app, up).exit_code == 2  # no server, no worker started
    assert not list(tmp_path.glob("*.pid"))


def test_prefect_env_points_prefect_at_the_pool_server(tmp_path):
    args = ["cluster", "prefect-env", "--run-dir", str(tmp_path), "--api-port", "4299"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0
    assert "export PREFECT_API_URL=http://127.0.0.1:4299/api" in result.output
    assert "postgresql+asyncpg://" in result.output  # the server's database is PostgreSQL


def test_reconcile_checks_loaded_days_against_the_sources_truth(tmp_path, monkeypatch):
    monkeypatch.setenv("STAGE4_SOURCE_URL", "generated://?orders=15")
    monkeypatch.setenv("STAGE4_WAREHOUSE_URL", f"duckdb:///{tmp_path / 'w.duckdb'}")
    monkeypatch.setenv("STAGE4_REPORTS_DIR", str(tmp_path / "reports"))
    runner = CliRunner()
    assert (
        runner.invoke(app, ["backfill", "--start", "2024-01-01", "--end", "2024-01-02"]).exit_code
        == 0
    )
    result = runner.invoke(app, ["reconcile", "--start", "2024-01-01", "--end", "2024-01-03"])
    assert result.exit_code == 1  # 2024-01-03 was never loaded
    assert "2/3 day(s) reconcile" in result.output and "not matching: 2024-01-03" in result.output
    monkeypatch.setenv("STAGE4_SOURCE_URL", "http://127.0.0.1:9")
    result = runner.invoke(app, ["reconcile", "--start", "2024-01-01"])
    assert result.exit_code == 2 and "keeps no truth" in result.output
