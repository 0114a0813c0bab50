"""The upstream the pipeline extracts from: a day generator, fault injection and an HTTP server."""

from stage4_pipelines.source.faults import FaultConfig, FaultInjector
from stage4_pipelines.source.generator import TABLES, ExpectedDay, SourceDay, generate_day
from stage4_pipelines.source.server import UpstreamServer

__all__ = [
    "TABLES",
    "ExpectedDay",
    "FaultConfig",
    "FaultInjector",
    "SourceDay",
    "UpstreamServer",
    "generate_day",
]
