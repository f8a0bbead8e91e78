from __future__ import annotations

from pydantic import Field, field_validator
from pydantic_settings import SettingsConfigDict

from facerec_common.settings import GrpcServiceSettings


class RegistrySettings(GrpcServiceSettings):
    model_config = SettingsConfigDict(env_prefix="FACEREC_REGISTRY_")

    port: int = 50053
    database_url: str = Field(
        ..., validation_alias="DATABASE_URL", description="Any PostgreSQL 15+ with the pgvector extension."
    )
    match_threshold: float | None = Field(
        None, ge=-1.0, le=1.0, description="Override the model's calibrated cosine threshold."
    )
    fallback_threshold: float = Field(
        0.4, ge=-1.0, le=1.0, description="Threshold for models that have no calibration."
    )
    pool_size: int = Field(5, ge=1, le=100)
    page_size_default: int = Field(50, ge=1)
    page_size_max: int = Field(500, ge=1)

    @field_validator("database_url")
    @classmethod
    def _psycopg_driver(cls, url: str) -> str:
        for prefix in ("postgresql://", "postgres://"):
            if url.startswith(prefix):
                return "postgresql+psycopg://" + url[len(prefix) :]
        if not url.startswith("postgresql+psycopg://"):
            raise ValueError("DATABASE_URL must be a postgresql:// URL")
        return url
