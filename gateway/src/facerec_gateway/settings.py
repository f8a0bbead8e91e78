from __future__ import annotations

from typing import Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from facerec_gateway.quality_gate import QualityThresholds


class GatewaySettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="FACEREC_GATEWAY_", env_nested_delimiter="__")

    host: str = "127.0.0.1"
    port: int = Field(8000, ge=0, le=65535)
    log_level: str = "INFO"
    access_log: bool = Field(
        False,
        description="A log line per request. Off by default: nginx in front logs every request with its "
        "request id, and the gateway's own line cost 6-8 % of a search's latency (2 cores).",
    )
    auth_mode: Literal["open", "keys"] = Field(
        "open", description='"keys": every call needs an X-API-Key. "open": no keys (local development only).'
    )
    admin_key: SecretStr | None = Field(None, description="Bootstrap admin key, to create the first API keys.")
    key_cache_s: float = Field(30.0, ge=0, description="How long a key lookup is reused: revocation delay.")
    rate_limit_per_s: float = Field(20.0, ge=0, description="Requests per second per API key (keys mode); 0: off.")
    rate_limit_burst: int = Field(40, ge=1, description="Requests a key may make at once before the rate applies.")
    grpc_port: int = Field(
        50050, ge=-1, le=65535, description="Public gRPC FaceService; 0 picks a free port, -1 turns it off."
    )
    production: bool = Field(False, description="Turns off /docs, /redoc and /openapi.json.")
    console: bool | None = Field(
        None, description="Serve the web console at /console; unset: on, except in production."
    )

    @property
    def console_enabled(self) -> bool:
        return (not self.production) if self.console is None else self.console

    metrics_token: SecretStr | None = Field(
        None,
        description="In production, GET /metrics needs `Authorization: Bearer <this>` (Prometheus: "
        "`authorization.credentials_file`); unset there, /metrics is not served. Outside production it is open.",
    )
    service_token: SecretStr | None = Field(
        None,
        validation_alias="FACEREC_SERVICE_TOKEN",
        description="Sent on every call to the detector, embedder and registry, which refuse calls without it "
        "when they are given it too.",
    )

    detector_address: str = "127.0.0.1:50051"
    embedder_address: str = "127.0.0.1:50052"
    registry_address: str = "127.0.0.1:50053"
    detect_timeout_s: float = Field(15.0, gt=0, description="Deadline of one detector call.")
    embed_timeout_s: float = Field(10.0, gt=0, description="Deadline of one embedder call.")
    registry_timeout_s: float = Field(5.0, gt=0, description="Deadline of one registry call.")
    bulk_timeout_s: float = Field(3600.0, gt=0, description="Deadline of a collection export, import or delete.")
    health_timeout_s: float = Field(1.0, gt=0)
    max_message_mb: int = Field(32, ge=1, le=512)

    cors_origins: list[str] = Field(
        [],
        description='Browser origins allowed to call the API, e.g. ["https://console.example.com"]; none by default.',
    )
    max_upload_mb: float = Field(10.0, gt=0, description="Largest accepted upload; larger gets 413.")
    upload_budget_mb: float = Field(
        128.0,
        gt=0,
        description="Request bodies one replica holds at once (their Content-Length); a request that does not fit "
        "waits up to upload_budget_wait_s, then gets 503 OVERLOADED. Bounds the replica's memory.",
    )
    upload_budget_wait_s: float = Field(2.0, ge=0, description="How long a request waits for room in the budget.")
    default_collection: str = Field("default", description="Collection the seed endpoints act on.")
    # e.g. FACEREC_GATEWAY_ENROL_QUALITY__MIN_SHARPNESS=30
    enrol_quality: QualityThresholds = Field(default_factory=QualityThresholds)
    duplicate_threshold: float = Field(
        0.5, ge=-1.0, le=1.0, description="Enrolling a face this similar to another person adds a warning."
    )

    @model_validator(mode="after")
    def _production_needs_keys(self) -> GatewaySettings:
        if self.production and (self.auth_mode != "keys" or self.admin_key is None):
            raise ValueError(
                "production needs API keys: set FACEREC_GATEWAY_AUTH_MODE=keys and FACEREC_GATEWAY_ADMIN_KEY"
            )
        return self

    @model_validator(mode="after")
    def _uploads_fit_in_messages(self) -> GatewaySettings:
        # An upload travels to the detector in one gRPC message.
        if self.max_upload_mb + 1 > self.max_message_mb:
            raise ValueError("max_upload_mb must be at least 1 MB below max_message_mb")
        return self

    @property
    def max_upload_bytes(self) -> int:
        return int(self.max_upload_mb * 1024 * 1024)
