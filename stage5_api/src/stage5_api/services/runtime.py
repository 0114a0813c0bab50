"""The service's parts built from settings, started and stopped with the app's lifespan."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from stage5_api.core.config import Settings
from stage5_api.services.batcher import MicroBatcher
from stage5_api.services.cache import PredictionCache
from stage5_api.services.gc_tuning import GcTuning
from stage5_api.services.job_runner import JobRunner
from stage5_api.services.jobs import JobStore
from stage5_api.services.metrics import ServiceMetrics
from stage5_api.services.model_store import ModelStore
from stage5_api.services.registry import ModelRegistry
from stage5_api.services.registry_spec import RegistrySpec, open_registry

__all__ = ["ServiceState", "build_state"]


@dataclass
class ServiceState:
    """Everything a request handler may need; one per process (``app.state.service``)."""

    settings: Settings
    metrics: ServiceMetrics
    models: ModelStore
    cache: PredictionCache
    batcher: MicroBatcher
    jobs: JobStore
    job_runner: JobRunner
    gc_tuning: GcTuning
    ready: bool = False

    async def start(self) -> None:
        """Load the default model, then start batching: only then is the service ready."""
        self.models.on_default_change = self._default_moved
        await self.models.load_default()
        await asyncio.to_thread(self.jobs.sweep)  # jobs a dead worker left running end failed
        await self.cache.ping()
        self.batcher.start()
        self.gc_tuning.apply()  # last: everything loaded so far is frozen out of GC scans
        self.ready = True

    def _default_moved(self, old: str | None, new: str) -> None:
        if old is not None:
            self.metrics.model_info.labels(old).set(0)
        self.metrics.model_info.labels(new).set(1)

    async def stop(self) -> None:
        """Stop accepting, answer what is queued, close Redis."""
        self.ready = False
        await self.job_runner.stop()
        await self.batcher.stop()
        await self.cache.close()
        self.gc_tuning.restore()


def _registry_spec(settings: Settings) -> RegistrySpec:
    if settings.mlflow_tracking_uri:
        return RegistrySpec(
            source="mlflow",
            tracking_uri=settings.mlflow_tracking_uri,
            model_name=settings.model_name,
        )
    return RegistrySpec(source="bundled", bundled_kind=settings.bundled_model)


def _registry(settings: Settings) -> ModelRegistry:
    return open_registry(_registry_spec(settings))


def build_state(settings: Settings) -> ServiceState:
    """Wire the parts together (nothing connects or loads until ``start``)."""
    metrics = ServiceMetrics()
    cache = PredictionCache(
        settings.redis_url,
        metrics,
        ttl_s=settings.cache_ttl_s,
        timeout_s=settings.redis_timeout_s,
        retry_s=settings.redis_retry_s,
    )
    batcher = MicroBatcher(
        metrics,
        cache if settings.redis_url else None,
        max_size=settings.batch_max_size,
        max_wait_s=settings.batch_max_wait_ms / 1000,
        max_queue=settings.max_queue_depth,
        retry_after_s=settings.retry_after_s,
        cache_prefix=settings.cache_prefix,
        cache_min_model_s=settings.cache_min_model_ms / 1000,
    )
    jobs = JobStore(
        settings.data_dir,
        max_concurrent=settings.job_max_concurrent,
        max_input_bytes=settings.job_max_input_bytes,
        retention_s=settings.job_retention_s,
        max_kept=settings.job_max_kept,
        retry_after_s=settings.job_retry_after_s,
    )
    return ServiceState(
        settings=settings,
        metrics=metrics,
        models=ModelStore(
            _registry(settings),
            refresh_s=settings.registry_refresh_s,
            default_ref=settings.default_model_version,
        ),
        cache=cache,
        batcher=batcher,
        jobs=jobs,
        job_runner=JobRunner(
            jobs,
            _registry_spec(settings),
            metrics,
            max_rows=settings.job_max_rows,
            nice=settings.job_nice,
        ),
        gc_tuning=GcTuning(settings.gc_freeze, settings.gc_gen0_threshold, metrics.gc_pause),
    )
