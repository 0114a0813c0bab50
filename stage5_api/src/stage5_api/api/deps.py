"""Dependencies of the routes: the service state and the API-key check."""

from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import Depends, HTTPException, Request, Security, status
from fastapi.security import APIKeyHeader

from stage5_api.services.runtime import ServiceState

__all__ = ["ApiKeyDep", "ServiceDep", "get_service", "require_api_key"]

_api_key_header = APIKeyHeader(name="X-API-Key", auto_error=False)


async def get_service(request: Request) -> ServiceState:
    """The per-process service state built at startup (async: sync dependencies cost a thread hop)."""
    state: ServiceState = request.app.state.service
    return state


ServiceDep = Annotated[ServiceState, Depends(get_service)]


async def require_api_key(
    service: ServiceDep, api_key: Annotated[str | None, Security(_api_key_header)]
) -> None:
    """401 unless ``X-API-Key`` equals the configured secret (constant-time comparison)."""
    expected = service.settings.api_key.get_secret_value().encode()
    if api_key is None or not secrets.compare_digest(api_key.encode(), expected):
        raise HTTPException(
            status_code=status.HTTP_401_UNAUTHORIZED,
            detail="missing or wrong X-API-Key header",
            headers={"WWW-Authenticate": "APIKey"},
        )


ApiKeyDep = Depends(require_api_key)
