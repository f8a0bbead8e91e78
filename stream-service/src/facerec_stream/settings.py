"""StreamSettings, from the environment (FACEREC_STREAM_*)."""

from __future__ import annotations

import json

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator
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
    min_face_px: float = Field(40.0, ge=12, le=4096, description="Smallest face side detected, in source pixels.")


class WebhookSettings(BaseModel):
    """A receiver of every event: POSTed as JSON, signed with HMAC-SHA256 of `secret`."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(pattern=COLLECTION_NAME_ANCHORED)
    url: str = Field(pattern=r"^https?://", repr=False)
    # No unsigned deliveries: a receiver must be able to tell ours from anyone's.
    secret: SecretStr = Field(min_length=16)
    timeout_s: float = Field(5.0, gt=0, le=60)


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
        description='Cameras declared at start, as JSON: [{"name": "door", "url": "rtsp://…", "collection": "staff", '
        '"fps": 5, "min_face_px": 40}]; stored (replacing those of the same name) like POST /api/v1/cameras.',
    )
    allow_files: bool = Field(
        False, description="Let cameras be files on this replica's disk (tests, demos); network sources only if false."
    )
    lease_s: float = Field(
        10.0, ge=2, le=300, description="A replica's cameras move to others this long after its last heartbeat."
    )
    heartbeat_s: float = Field(3.0, gt=0, le=60, description="How often leases are renewed and camera state reported.")
    webhooks: list[WebhookSettings] = Field(
        default_factory=list,
        description="Webhooks every event is delivered to, as JSON: "
        '[{"name": "hr", "url": "https://…", "secret": "…"}].',
    )
    mqtt_url: str | None = Field(
        None,
        repr=False,
        description="MQTT broker events and camera state are published to: mqtt://user:pass@host:1883.",
    )
    mqtt_prefix: str = Field("facerec", pattern=r"^[A-Za-z0-9_-]{1,64}$", description="Topic prefix.")
    delivery_max_attempts: int = Field(12, ge=1, le=100, description="Tries before a delivery is a dead letter.")
    delivery_backoff_max_s: float = Field(30.0, gt=0, le=3600, description="Longest wait between two tries.")

    @model_validator(mode="after")
    def _heartbeat_within_lease(self) -> StreamSettings:
        if self.heartbeat_s * 2 > self.lease_s:
            raise ValueError("heartbeat_s must be at most half of lease_s, or leases lapse between heartbeats")
        return self

    @field_validator("cameras", "webhooks", mode="before")
    @classmethod
    def _json(cls, value: object) -> object:
        return json.loads(value) if isinstance(value, str) else value
