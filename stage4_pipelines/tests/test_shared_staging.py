"""Staging that crosses hosts: PostgreSQL staging tables and fsspec URLs, chosen by setting."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from stage4_pipelines import steps
from stage4_pipelines.errors import ConfigError
from stage4_pipelines.etl import reconcile_day
from stage4_pipelines.source import generate_day
from stage4_pipelines.staging import read_staged, stage_tables, staging_target
from stage4_pipelines.warehouse import connect_warehouse

TABLES = {"a": pd.DataFrame({"x": [1, 2]}), "b": pd.DataFrame({"y": ["p", None]})}


def _round_trip(target: str) -> str:
    ref = stage_tables(target, "raw", TABLES)
    assert stage_tables(target, "raw", TABLES) == ref  # a re-run task stages nothing new
    back = read_staged(ref)
    for name, frame in TABLES.items():
        pd.testing.assert_frame_equal(back[name], frame)
    return ref


def test_the_local_folder_stays_the_default(tmp_path):
    assert staging_target(None, tmp_path, "2024-01-01") == tmp_path / "2024-01-01"
    with pytest.raises(ConfigError, match="STAGE4_STAGING_URL"):
        staging_target("shared/folder", tmp_path, "2024-01-01")


def test_fsspec_staging_round_trips_and_refuses_an_incomplete_set(tmp_path):
    import fsspec

    target = staging_target(f"file://{tmp_path}/shared", tmp_path / "unused", "2024-01-01")
    ref = _round_trip(str(target))
    assert ref.startswith(f"file://{tmp_path}/shared/2024-01-01/raw-")
    assert not (tmp_path / "unused").exists()
    fs, path = fsspec.core.url_to_fs(ref)
    fs.rm(f"{path}/_SUCCESS")  # a writer that died before finishing
    with pytest.raises(FileNotFoundError, match="incomplete"):
        read_staged(ref)


@pytest.mark.service
def test_postgres_staging_round_trips_from_another_connection(pg_url, tmp_path):
    import psycopg

    target = staging_target(pg_url, tmp_path, "2024-01-01")
    ref = _round_trip(str(target))
    dsn, schema = pg_url.split("?schema=")
    assert ref.startswith(pg_url) and "#2024-01-01/raw-" in ref
    with psycopg.connect(dsn) as conn:  # one row per table, however often it was staged
        count = conn.execute(f"SELECT count(*) FROM {schema}.stage4_staging").fetchone()
    assert count == (2,)
    with pytest.raises(FileNotFoundError, match="re-run"):
        read_staged(ref.replace("raw-", "raw-0"))


@pytest.mark.service
def test_a_day_through_the_four_steps_on_postgres_staging(pg_url, tmp_path, monkeypatch):
    monkeypatch.setenv("STAGE4_STAGING_URL", pg_url)
    monkeypatch.setenv("STAGE4_STAGING_DIR", str(tmp_path / "local"))
    monkeypatch.setenv("STAGE4_REPORTS_DIR", str(tmp_path / "reports"))
    day = "2024-02-05"
    raw = steps.extract_data("generated://?orders=40", day)
    facts = steps.transform_data(raw, day)
    steps.quality_gate(facts, day)
    steps.load_data(facts, day, pg_url)
    assert raw.startswith("postgresql://") and not (tmp_path / "local").exists()
    expected = generate_day(date.fromisoformat(day), orders=40).expected
    assert reconcile_day(connect_warehouse(pg_url), expected).matches
