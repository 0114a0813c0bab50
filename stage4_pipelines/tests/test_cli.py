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
