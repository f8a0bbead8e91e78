"""StreamSettings, from the environment (FACEREC_STREAM_*)."""

from __future__ import annotations

import json

from pydantic import BaseModel, ConfigDict, Field, field_validator
from pydantic_settings import SettingsConfigDict

from facerec_common.names import COLLECTION_NAME_ANCHORED
from facerec_common.settings import GrpcServiceSettings


class CameraSettings(BaseModel):
    """One camera: where its video comes from and which collection its faces are searched in."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    # The collections' rule: a camera's name goes into metric labels and event topics unescaped.
    name: str = Field(pattern=COLLECTION_NAME_ANCHORED)
    # May hold credentials (rtsp://user:password@host/...): shown only as source.redacted() says.
    url: str = Field(min_length=1, repr=False)
    collection: str
    fps: float = Field(5.0, gt=0, le=30, description="Frames analysed a second; the newest frame each time.")
    min_face_px: float = Field(40.0, ge=12, description="Smallest face side detected, in source pixels.")


class StreamSettings(GrpcServiceSettings):
    model_config = SettingsConfigDict(env_prefix="FACEREC_STREAM_")

    port: int = Field(50054, ge=0, le=65535)
    detector_address: str = "127.0.0.1:50051"
    embedder_address: str = "127.0.0.1:50052"
    registry_address: str = "127.0.0.1:50053"
    detect_timeout_s: float = Field(15.0, gt=0)
    embed_timeout_s: float = Field(10.0, gt=0)
    registry_timeout_s: float = Field(5.0, gt=0)
    cooldown_s: float = Field(
        60.0, gt=0, description="A known person seen again on a camera within this long extends their event."
    )
    cameras: list[CameraSettings] = Field(
        default_factory=list,
        description='Cameras to watch, as JSON: [{"name": "door", "url": "rtsp://…", "collection": "staff", '
        '"fps": 5, "min_face_px": 40}].',
    )

    @field_validator("cameras", mode="before")
    @classmethod
    def _json(cls, value: object) -> object:
        return json.loads(value) if isinstance(value, str) else value
