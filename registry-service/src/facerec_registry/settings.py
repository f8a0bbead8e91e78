from __future__ import annotations

from pydantic import Field, field_validator
from pydantic_settings import SettingsConfigDict

from facerec_common import open_set
from facerec_common.settings import GrpcServiceSettings


class RegistrySettings(GrpcServiceSettings):
    model_config = SettingsConfigDict(env_prefix="FACEREC_REGISTRY_")

    port: int = 50053
    metrics_port: int = 9103
    database_url: str = Field(
        ..., validation_alias="DATABASE_URL", description="Any PostgreSQL 15+ with the pgvector extension."
    )
    match_threshold: float | None = Field(
        None, ge=-1.0, le=1.0, description="Override the model's calibrated cosine threshold."
    )
    fallback_threshold: float = Field(
        0.4, ge=-1.0, le=1.0, description="Threshold for models that have no calibration."
    )
    target_fpir: float = Field(
        open_set.DEFAULT_TARGET_FPIR,
        ge=1e-9,
        le=0.5,
        description="Default share of strangers an identify may match to someone (collections may set their own).",
    )
    pool_size: int = Field(5, ge=1, le=100)
    database_retry_max_s: float = Field(
        10.0, gt=0, description="Longest wait between tries while the database is unreachable at start."
    )
    page_size_default: int = Field(50, ge=1)
    page_size_max: int = Field(500, ge=1)
    search_index: bool = Field(
        True, description="Search from an in-memory index kept in step with PostgreSQL; false: every search scans SQL."
    )
    index_min_faces: int = Field(
        10_000, ge=0, description="Collections with fewer faces are searched exhaustively (as fast, and exact)."
    )
    index_candidates: int = Field(512, ge=1, le=100_000, description="Index candidates re-ranked exactly per search.")
    index_factory: str | None = Field(None, description="FAISS index factory string; default RR<dim>,PQ<dim/4>x4fs.")
    index_threads: int = Field(
        2, ge=1, le=64, description="Threads one search reads a large index with (it is split into as many shards)."
    )
    index_sync_interval_s: float = Field(1.0, gt=0, description="How often indexes catch up in the background.")
    tombstone_retention_s: float = Field(
        3600.0, gt=0, description="How long deleted faces' ids are kept for replicas to catch up."
    )
    event_retention_days: float = Field(
        30.0,
        gt=0,
        le=36_500,
        description="Camera events last seen longer ago than this are deleted, with their deliveries.",
    )
    event_purge_interval_s: float = Field(3600.0, gt=0, description="How often events past the retention are purged.")

    @field_validator("database_url")
    @classmethod
    def _psycopg_driver(cls, url: str) -> str:
        for prefix in ("postgresql://", "postgres://"):
            if url.startswith(prefix):
                return "postgresql+psycopg://" + url[len(prefix) :]
        if not url.startswith("postgresql+psycopg://"):
            raise ValueError("DATABASE_URL must be a postgresql:// URL")
        return url
