"""people get an external id and metadata; collections exist before their first face; staged re-embedding

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op
from pgvector.sqlalchemy import Vector
from sqlalchemy.dialects.postgresql import JSONB

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    for column in ("model_name", "model_version", "dimension"):
        op.alter_column("collections", column, nullable=True)
    op.add_column("people", sa.Column("external_id", sa.String(255), nullable=True))
    op.add_column("people", sa.Column("metadata", JSONB, nullable=False, server_default=sa.text("'{}'::jsonb")))
    op.create_index(
        "people_collection_external_id",
        "people",
        ["collection_id", "external_id"],
        unique=True,
        postgresql_where=sa.text("external_id IS NOT NULL"),
    )
    op.create_index("people_collection_created", "people", ["collection_id", "created_at", "id"])
    op.add_column("faces", sa.Column("pending_embedding", Vector(), nullable=True))
    op.add_column("faces", sa.Column("pending_model_version", sa.String(64), nullable=True))


def downgrade() -> None:
    op.drop_column("faces", "pending_model_version")
    op.drop_column("faces", "pending_embedding")
    op.drop_index("people_collection_created", "people")
    op.drop_index("people_collection_external_id", "people")
    op.drop_column("people", "metadata")
    op.drop_column("people", "external_id")
    op.execute("DELETE FROM collections WHERE model_version IS NULL")
    for column in ("model_name", "model_version", "dimension"):
        op.alter_column("collections", column, nullable=False)
