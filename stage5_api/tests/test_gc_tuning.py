"""GC tuning: applied at start-up, undone at shutdown, and every collection's pause observed."""

from __future__ import annotations

import gc

from prometheus_client import CollectorRegistry, Histogram

from stage5_api.main import create_app
from stage5_api.services.gc_tuning import GcTuning


def _pauses() -> tuple[Histogram, CollectorRegistry]:
    registry = CollectorRegistry()
    hist = Histogram("pauses", "GC pauses", ["generation"], registry=registry)
    return hist, registry


def test_apply_freezes_raises_the_threshold_and_restore_undoes_it() -> None:
    before = gc.get_threshold()
    frozen_before = gc.get_freeze_count()
    tuning = GcTuning(freeze=True, gen0_threshold=12_345)
    tuning.apply()
    try:
        assert gc.get_threshold() == (12_345, *before[1:])
        assert gc.get_freeze_count() > frozen_before
    finally:
        tuning.restore()
    assert gc.get_threshold() == before
    assert gc.get_freeze_count() == 0


def test_zero_threshold_and_no_freeze_leave_the_collector_alone() -> None:
    before = gc.get_threshold()
    tuning = GcTuning(freeze=False, gen0_threshold=0)
    tuning.apply()
    try:
        assert gc.get_threshold() == before
        assert gc.get_freeze_count() == 0
    finally:
        tuning.restore()


def test_pauses_are_recorded_by_generation_and_flushed() -> None:
    hist, registry = _pauses()
    tuning = GcTuning(freeze=False, gen0_threshold=0, pauses=hist)
    tuning.apply()  # no running loop: flushing is left to us
    try:
        gc.collect()
        assert registry.get_sample_value("pauses_count", {"generation": "2"}) in (None, 0.0)
        tuning.flush()
        assert registry.get_sample_value("pauses_count", {"generation": "2"}) == 1.0
    finally:
        tuning.restore()
    gc.collect()  # the callback is gone after restore
    tuning.flush()
    assert registry.get_sample_value("pauses_count", {"generation": "2"}) == 1.0


async def test_app_tunes_gc_while_it_runs(make_settings, app_client) -> None:
    before = gc.get_threshold()
    app = create_app(make_settings(gc_gen0_threshold=30_000))
    async for c in app_client(app):
        assert gc.get_threshold()[0] == 30_000
        assert gc.get_freeze_count() > 0
        gc.collect()
        app.state.service.gc_tuning.flush()
        metrics = (await c.get("/metrics")).text
        assert 'stage5_gc_pause_seconds_count{generation="2"}' in metrics
    assert gc.get_threshold() == before
    assert gc.get_freeze_count() == 0
