"""Cameras (admin): what the stream service watches, and how each one is doing."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Response, status
from pydantic import BaseModel, Field

from facerec.registry.v1 import cameras_pb2
from facerec_common.errors import CameraNotFound
from facerec_common.names import COLLECTION_NAME_ANCHORED
from facerec_gateway.dependencies import FacesDep, get_principal
from facerec_gateway.json_body import JsonRoute
from facerec_gateway.routes.responses import ERRORS
from facerec_gateway.security import Principal
from facerec_gateway.v1.schemas import CollectionName

router = APIRouter(tags=["cameras"], responses=ERRORS, route_class=JsonRoute)
Caller = Annotated[Principal, Depends(get_principal)]
# The collections' rule: a camera's name goes into metric labels and MQTT topics as it is.
CameraName = Annotated[str, Field(pattern=COLLECTION_NAME_ANCHORED, examples=["front-door"])]
CameraPath = Annotated[str, Path(pattern=COLLECTION_NAME_ANCHORED)]
SourceUrl = Annotated[
    str,
    Field(
        min_length=1,
        max_length=2048,
        pattern=r"^\S+$",
        examples=["rtsp://viewer:secret@10.0.0.7:554/stream1"],
        description="RTSP/RTSPS, HTTP (MJPEG, HLS) or a file path; credentials are stored, never shown again.",
    ),
]
Fps = Annotated[float, Field(gt=0, le=30, description="Frames analysed a second (the newest frame each time).")]
MinFace = Annotated[float, Field(ge=12, le=4096, description="Smallest face side detected, in source pixels.")]


class CameraCreate(BaseModel):
    name: CameraName
    source_url: SourceUrl
    collection: CollectionName = Field(description="Faces seen are identified against this collection.")
    fps: Fps = 5.0
    min_face_px: MinFace = 40.0
    enabled: bool = True


class CameraChange(BaseModel):
    """Only what is sent changes."""

    source_url: SourceUrl | None = None
    collection: CollectionName | None = None
    fps: Fps | None = None
    min_face_px: MinFace | None = None
    enabled: bool | None = None


class CameraState(BaseModel):
    state: str = Field(
        description="connecting, live, failing (reason says why), unassigned (no stream replica holds it) or disabled."
    )
    reason: str
    analysed_fps: float
    lag_seconds: float = Field(description="From a frame read to its analysis, for the last frame analysed.")
    frames_read: int
    frames_analysed: int
    frames_dropped: int = Field(description="Read but not analysed: analysis takes the newest frame at its rate.")
    tracks: int
    embeddings: int
    reported_at: datetime | None


class Camera(BaseModel):
    name: str
    source: str = Field(description="The source URL with its credentials replaced by ***.")
    collection: str
    fps: float
    min_face_px: float
    enabled: bool
    created_at: datetime
    updated_at: datetime
    replica: str = Field(description="The stream-service replica watching it; empty when none.")
    state: CameraState
    frame_url: str = Field(description="The last analysed frame, its faces boxed (JPEG).")


def _camera(c: cameras_pb2.Camera) -> Camera:
    s = c.state
    return Camera(
        name=c.name,
        source=c.source,
        collection=c.collection,
        fps=round(c.fps, 3),
        min_face_px=round(c.min_face_px, 1),
        enabled=c.enabled,
        created_at=c.created_at.ToDatetime(tzinfo=UTC),
        updated_at=c.updated_at.ToDatetime(tzinfo=UTC),
        replica=c.holder,
        state=CameraState(
            state=s.state,
            reason=s.reason,
            analysed_fps=round(s.analysed_fps, 2),
            lag_seconds=round(s.lag_seconds, 3),
            frames_read=s.frames_read,
            frames_analysed=s.frames_analysed,
            frames_dropped=s.frames_dropped,
            tracks=s.tracks,
            embeddings=s.embeddings,
            reported_at=s.reported_at.ToDatetime(tzinfo=UTC) if s.HasField("reported_at") else None,
        ),
        frame_url=f"/api/v1/cameras/{c.name}/frame.jpg",
    )


async def _get(faces: FacesDep, who: Principal, name: str, *, frame: bool = False) -> cameras_pb2.Camera:
    """The camera, as if absent to a key not bound to its collection."""
    request = cameras_pb2.GetCameraRequest(name=name, include_frame=frame)
    camera: cameras_pb2.Camera = await faces.registry(faces.backends.cameras.GetCamera, request)
    if not who.sees(camera.collection):
        raise CameraNotFound(f"No camera is named '{name}'.", camera=name)
    return camera


@router.post("/cameras", status_code=status.HTTP_201_CREATED, response_model=Camera)
async def create_camera(body: CameraCreate, faces: FacesDep, who: Caller) -> Camera:
    """Watch a camera: a stream-service replica takes it within a few seconds (its leases)."""
    who.authorize("admin", body.collection)
    request = cameras_pb2.PutCameraRequest(**body.model_dump(), create_only=True)
    return _camera(await faces.registry(faces.backends.cameras.PutCamera, request, actor=who.actor))


@router.get("/cameras", response_model=list[Camera])
async def list_cameras(faces: FacesDep, who: Caller) -> list[Camera]:
    who.require("admin")
    reply = await faces.registry(faces.backends.cameras.ListCameras, cameras_pb2.ListCamerasRequest())
    return [_camera(c) for c in reply.cameras if who.sees(c.collection)]


@router.get("/cameras/{name}", response_model=Camera)
async def get_camera(name: CameraPath, faces: FacesDep, who: Caller) -> Camera:
    who.require("admin")
    return _camera(await _get(faces, who, name))


@router.get("/cameras/{name}/frame.jpg", response_class=Response, responses={200: {"content": {"image/jpeg": {}}}})
async def camera_frame(name: CameraPath, faces: FacesDep, who: Caller) -> Response:
    """The last frame analysed, at most 640 px, faces boxed (green: identified); 404 before the first."""
    who.require("admin")
    camera = await _get(faces, who, name, frame=True)
    if not camera.state.last_frame_jpeg:
        raise CameraNotFound(f"Camera '{name}' has no analysed frame yet.", camera=name)
    return Response(camera.state.last_frame_jpeg, media_type="image/jpeg", headers={"Cache-Control": "no-store"})


@router.patch("/cameras/{name}", response_model=Camera)
async def change_camera(name: CameraPath, body: CameraChange, faces: FacesDep, who: Caller) -> Camera:
    who.require("admin")
    camera = await _get(faces, who, name)
    if body.collection is not None:
        who.authorize("admin", body.collection)
    request = cameras_pb2.PutCameraRequest(
        name=name,
        source_url=body.source_url or "",  # empty: the stored source stays
        collection=body.collection or camera.collection,
        fps=body.fps or camera.fps,
        min_face_px=body.min_face_px or camera.min_face_px,
        enabled=camera.enabled if body.enabled is None else body.enabled,
    )
    return _camera(await faces.registry(faces.backends.cameras.PutCamera, request, actor=who.actor))


@router.delete("/cameras/{name}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_camera(name: CameraPath, faces: FacesDep, who: Caller) -> None:
    """Stop watching it; its events stay until their retention."""
    who.require("admin")
    await _get(faces, who, name)
    await faces.registry(faces.backends.cameras.DeleteCamera, cameras_pb2.DeleteCameraRequest(name=name), who.actor)
