"""Alembic environment: one connection, held under an advisory lock so replicas migrate one at a time."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine, text

from facerec_registry.tables import Base

# Any fixed number: the key of the lock every registry replica takes to migrate.
MIGRATION_LOCK_KEY = 7_146_022_301

url = context.config.get_main_option("sqlalchemy.url")
engine = create_engine(url)
with engine.connect() as connection:
    connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": MIGRATION_LOCK_KEY})
    try:
        context.configure(connection=connection, target_metadata=Base.metadata)
        with context.begin_transaction():
            context.run_migrations()
        connection.commit()
    finally:
        connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": MIGRATION_LOCK_KEY})
        connection.commit()
engine.dispose()
