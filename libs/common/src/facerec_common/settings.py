"""Settings every gRPC service shares; each service subclasses with its own env prefix."""

from __future__ import annotations

import sys
from typing import TypeVar

from pydantic import Field, SecretStr, ValidationError
from pydantic_settings import BaseSettings

S = TypeVar("S", bound=BaseSettings)


class GrpcServiceSettings(BaseSettings):
    host: str = Field("127.0.0.1", description="Interface to bind; 0.0.0.0 in containers.")
    port: int = Field(0, ge=0, le=65535, description="0 picks a free port (tests).")
    log_level: str = "INFO"
    shutdown_grace_s: float = Field(10.0, ge=0, description="Time in-flight calls get after SIGTERM.")
    max_message_mb: int = Field(32, ge=1, le=512, description="Largest gRPC message accepted or sent.")
    workers: int = Field(2, ge=1, le=64, description="Threads running blocking work (models, decoding).")
    metrics_port: int = Field(
        -1, ge=-1, le=65535, description="Port of the Prometheus /metrics endpoint; 0 picks a free one, -1: none."
    )
    service_token: SecretStr | None = Field(
        None,
        validation_alias="FACEREC_SERVICE_TOKEN",
        description="When set, every call but health checks must carry it (the gateway sends it); one secret "
        "shared by the gateway and the services.",
    )
    max_connection_age_s: float = Field(
        30.0,
        gt=0,
        description="Clients are asked to reconnect after this long (in-flight calls finish first), so they "
        "look the service's name up again and spread over replicas added since.",
    )


def load_settings(cls: type[S]) -> S:
    """Settings from the environment; invalid ones stop the process with a readable message."""
    try:
        return cls()
    except ValidationError as exc:
        sys.exit(f"invalid settings: {settings_problems(cls, exc)}")


def settings_problems(cls: type[BaseSettings], exc: ValidationError) -> str:
    """One line: each problem with the variable it comes from, never the values given (secrets)."""
    prefix = str(cls.model_config.get("env_prefix", ""))
    problems = []
    for error in exc.errors():
        message = error["msg"].removeprefix("Value error, ")
        where = "__".join(str(part) for part in error["loc"])
        # A field read from another variable (DATABASE_URL, FACEREC_SERVICE_TOKEN) is named by it.
        variable = where if where.isupper() else (prefix + where).upper()
        problems.append(f"{variable}: {message}" if where else message)
    return "; ".join(problems)
