"""Everything under /api/v1."""

from __future__ import annotations

from fastapi import APIRouter

from facerec_gateway.v1 import admin, analysis, collections, faces, people

router = APIRouter(prefix="/api/v1")
# Routes are matched in order: the hot ones (identify, search) first.
for part in (analysis, faces, people, collections, admin):
    router.include_router(part.router)
