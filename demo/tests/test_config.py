"""Settings: scales, service URLs from the environment, and clear errors for bad values."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from demo.__main__ import app
from demo.config import PROFILES, DemoConfigError, DemoScale, load_settings, parse_scale
from demo.step_pipeline import DEMO_SCHEMA, warehouse_url_for


def test_default_scale_is_small_and_services_are_embedded(tmp_path: Path) -> None:
    settings = load_settings(tmp_path)
    assert settings.scale is DemoScale.SMALL
    assert settings.database_url is settings.redis_url is settings.mlflow_tracking_uri is None
    assert warehouse_url_for(settings).startswith("duckdb:///")


def test_scale_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("DEMO_SCALE", "TINY")
    assert load_settings(tmp_path).scale is DemoScale.TINY
    assert load_settings(tmp_path, "full").scale is DemoScale.FULL  # the option wins


def test_unknown_scale_names_the_choices() -> None:
    with pytest.raises(DemoConfigError, match="tiny, small, full"):
        parse_scale("huge")


def test_service_urls_are_used_when_set(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:6379/0")
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "http://127.0.0.1:5000")
    settings = load_settings(tmp_path)
    assert warehouse_url_for(settings).endswith(f"?schema={DEMO_SCHEMA}")
    assert settings.redis_url == "redis://127.0.0.1:6379/0"
    assert settings.mlflow_tracking_uri == "http://127.0.0.1:5000"


def test_empty_variables_count_as_unset(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("REDIS_URL", "  ")
    assert load_settings(tmp_path).redis_url is None


def test_a_non_postgres_database_url_is_rejected(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("DATABASE_URL", "mysql://root@localhost/shop")
    with pytest.raises(DemoConfigError, match="DATABASE_URL"):
        load_settings(tmp_path)


def test_cli_exits_1_with_a_clear_message_for_a_bad_scale(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["--scale", "huge", "--out", str(tmp_path), "--no-serve"])
    assert result.exit_code == 1
    assert "not a scale" in result.output


def test_scales_grow() -> None:
    tiny, small, full = (PROFILES[s] for s in DemoScale)
    assert tiny.orders_rows < small.orders_rows < full.orders_rows
    assert len(full.grid) >= 10  # week 8's checkpoint: 10+ MLflow runs
