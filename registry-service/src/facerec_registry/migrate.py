"""Bring the database schema to the latest revision (blocking; run before serving)."""

from __future__ import annotations

from importlib import resources

from alembic import command
from alembic.config import Config


def upgrade_to_head(database_url: str) -> None:
    config = Config(str(resources.files("facerec_registry") / "alembic.ini"))
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    command.upgrade(config, "head")
