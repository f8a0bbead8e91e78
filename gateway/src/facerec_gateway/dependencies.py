from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from facerec_gateway.backends import Backends
from facerec_gateway.orchestration import FaceService
from facerec_gateway.settings import GatewaySettings


def get_settings(request: Request) -> GatewaySettings:
    settings: GatewaySettings = request.app.state.settings
    return settings


def get_backends(request: Request) -> Backends:
    backends: Backends = request.app.state.backends
    return backends


def get_faces(request: Request) -> FaceService:
    faces: FaceService = request.app.state.faces
    return faces


SettingsDep = Annotated[GatewaySettings, Depends(get_settings)]
BackendsDep = Annotated[Backends, Depends(get_backends)]
FacesDep = Annotated[FaceService, Depends(get_faces)]
