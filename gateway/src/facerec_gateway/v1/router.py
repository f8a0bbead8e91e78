"""Everything under /api/v1."""

from __future__ import annotations

from fastapi import APIRouter

from facerec_gateway.v1 import admin, analysis, cameras, collections, events, faces, people

router = APIRouter(prefix="/api/v1")
# Routes are matched in order: the hot ones (identify, search) first.
for part in (analysis, faces, people, collections, cameras, events, admin):
    router.include_router(part.router)
