"""Settings every gRPC service shares; each service subclasses with its own env prefix."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings


class GrpcServiceSettings(BaseSettings):
    host: str = Field("127.0.0.1", description="Interface to bind; 0.0.0.0 in containers.")
    port: int = Field(0, ge=0, le=65535, description="0 picks a free port (tests).")
    log_level: str = "INFO"
    shutdown_grace_s: float = Field(10.0, ge=0, description="Time in-flight calls get after SIGTERM.")
    max_message_mb: int = Field(32, ge=1, le=512, description="Largest gRPC message accepted or sent.")
    workers: int = Field(2, ge=1, le=64, description="Threads running blocking work (models, decoding).")
