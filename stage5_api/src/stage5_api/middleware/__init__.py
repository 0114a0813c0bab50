"""Pure ASGI middleware (no BaseHTTPMiddleware: it costs throughput on every request)."""
