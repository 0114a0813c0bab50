"""The service's moving parts: model store, cache, micro-batcher, batch jobs, metrics."""
