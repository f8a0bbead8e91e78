"""Liveness and readiness for load balancers and orchestrators."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from facerec_gateway.dependencies import BackendsDep

router = APIRouter(tags=["health"])


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    """The gateway process is up (says nothing about the services behind it)."""
    return {"status": "ok"}


@router.get("/readyz")
async def readyz(backends: BackendsDep) -> JSONResponse:
    """200 when the detector, embedder and registry all report SERVING, else 503."""
    services = await backends.health()
    ready = all(status == "SERVING" for status in services.values())
    return JSONResponse(
        status_code=200 if ready else 503, content={"status": "ready" if ready else "not ready", "services": services}
    )
