from datetime import date

import httpx
import pytest

from stage4_pipelines.errors import (
    ConfigError,
    TruncatedPayload,
    UpstreamTimeout,
    UpstreamUnavailable,
)
from stage4_pipelines.extract import HttpSource, extract_day, source_from_url
from stage4_pipelines.source import FaultConfig, UpstreamServer, generate_day

DAY = date(2024, 8, 1)


def test_http_extract_returns_the_served_day():
    with UpstreamServer(orders_per_day=30) as up:
        raw = extract_day(HttpSource(up.url), DAY)
    truth = generate_day(DAY, orders=30)
    assert len(raw.tables["orders"]) == len(truth.tables["orders"])


@pytest.mark.parametrize(
    ("faults", "error"),
    [
        (FaultConfig(http_5xx_rate=1.0), UpstreamUnavailable),
        (FaultConfig(truncate_rate=1.0), TruncatedPayload),
        (FaultConfig(timeout_rate=1.0), UpstreamTimeout),
        (FaultConfig(broken_days={DAY}), UpstreamUnavailable),
    ],
)
def test_injected_faults_surface_as_transient_errors(faults, error):
    with UpstreamServer(orders_per_day=10, faults=faults, timeout_sleep_seconds=1.0) as up:
        with pytest.raises(error):
            HttpSource(up.url, timeout_seconds=0.3).fetch_table(DAY, "orders")
        assert sum(v for k, v in up.injector.counts.items() if k != "none") == 1


def test_fault_plan_can_be_replaced_over_http():
    with UpstreamServer(orders_per_day=10, faults=FaultConfig(broken_days={DAY})) as up:
        fixed = FaultConfig().model_dump_json()
        httpx.put(f"{up.url}/admin/faults", content=fixed).raise_for_status()
        assert len(HttpSource(up.url).fetch_table(DAY, "orders")) > 0
        assert httpx.get(f"{up.url}/admin/faults").json()["injected"] == {"none": 1}


def test_unknown_source_url_names_the_supported_forms():
    with pytest.raises(ConfigError, match="generated://"):
        source_from_url("ftp://example")
