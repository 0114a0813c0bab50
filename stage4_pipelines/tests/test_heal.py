from datetime import date

from stage4_pipelines.config import PipelineSettings
from stage4_pipelines.etl import process_day, reconcile_day
from stage4_pipelines.extract import GeneratedSource
from stage4_pipelines.heal import heal_missed_days, missed_days
from stage4_pipelines.source import FaultConfig, UpstreamServer, generate_day
from stage4_pipelines.warehouse import connect_warehouse


def _load(warehouse, day, tmp_path):
    process_day(
        day, source=GeneratedSource(orders_per_day=20), warehouse=warehouse,
        sla_dir=PipelineSettings().sla_dir, reports_dir=tmp_path,
    )  # fmt: skip


def test_gaps_after_the_first_loaded_day_are_found(tmp_path):
    warehouse = connect_warehouse(f"duckdb:///{tmp_path / 'w.duckdb'}")
    assert missed_days(warehouse, date(2024, 1, 10), 7) == []  # nothing loaded yet: no gaps
    for d in (date(2024, 1, 5), date(2024, 1, 8)):
        _load(warehouse, d, tmp_path)
    assert missed_days(warehouse, date(2024, 1, 10), 7) == [
        date(2024, 1, 6), date(2024, 1, 7), date(2024, 1, 9),
    ]  # fmt: skip
    warehouse.close()


def test_the_next_run_heals_a_gap_once_the_upstream_is_fixed(tmp_path):
    url = f"duckdb:///{tmp_path / 'w.duckdb'}"
    broken, corrupt = date(2024, 1, 2), date(2024, 1, 3)
    with UpstreamServer(
        orders_per_day=20, faults=FaultConfig(broken_days={broken}, corrupt_days={corrupt})
    ) as up:
        settings = PipelineSettings(
            source_url=up.url, warehouse_url=url, reports_dir=tmp_path, request_timeout_seconds=5
        )
        warehouse = connect_warehouse(url)
        _load(warehouse, date(2024, 1, 1), tmp_path)
        warehouse.close()
        up.injector.reconfigure(FaultConfig(corrupt_days={corrupt}))  # the broken day is fixed
        report = heal_missed_days(date(2024, 1, 4), settings, run_id="test")
    assert report.missed == [broken, corrupt]
    assert report.healed == [broken]
    assert "QualityGateError" in report.still_failing[corrupt.isoformat()]
    warehouse = connect_warehouse(url)
    assert reconcile_day(warehouse, generate_day(broken, orders=20).expected).matches


def test_a_busy_duckdb_file_skips_healing_instead_of_failing_the_run(tmp_path):
    import subprocess
    import sys

    import pytest

    from stage4_pipelines.errors import WarehouseBusy

    path = tmp_path / "w.duckdb"
    holder = subprocess.Popen(  # another run's task holding the file, like two overlapping runs
        [sys.executable, "-c", "import duckdb, sys; c = duckdb.connect(sys.argv[1]); "
         "print('ready', flush=True); sys.stdin.read()", str(path)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "ready"
        with pytest.raises(WarehouseBusy, match="one writer at a time"):
            connect_warehouse(f"duckdb:///{path}").loaded_days()
        settings = PipelineSettings(
            source_url="generated://?orders=10", warehouse_url=f"duckdb:///{path}"
        )
        report = heal_missed_days(date(2024, 1, 4), settings, run_id="test")
        assert report.skipped is not None and "WarehouseBusy" in report.skipped
        assert report.healed == [] and report.missed == []
    finally:
        holder.communicate("")  # closes stdin: the holder exits and frees the file
