"""collections, people and faces with pgvector embeddings

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op
from pgvector.sqlalchemy import Vector
from sqlalchemy.dialects.postgresql import UUID

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("CREATE EXTENSION IF NOT EXISTS vector")
    op.create_table(
        "collections",
        sa.Column("id", UUID(as_uuid=True), primary_key=True),
        sa.Column("name", sa.String(64), nullable=False, unique=True),
        sa.Column("model_name", sa.String(128), nullable=False),
        sa.Column("model_version", sa.String(64), nullable=False),
        sa.Column("dimension", sa.Integer, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
    )
    op.create_table(
        "people",
        sa.Column("id", UUID(as_uuid=True), primary_key=True),
        sa.Column(
            "collection_id", UUID(as_uuid=True), sa.ForeignKey("collections.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
    )
    op.create_index("people_collection_name", "people", ["collection_id", "name"])
    op.create_table(
        "faces",
        sa.Column("id", UUID(as_uuid=True), primary_key=True),
        sa.Column(
            "collection_id", UUID(as_uuid=True), sa.ForeignKey("collections.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("person_id", UUID(as_uuid=True), sa.ForeignKey("people.id", ondelete="CASCADE"), nullable=False),
        sa.Column("embedding", Vector(), nullable=False),
        sa.Column("model_version", sa.String(64), nullable=False),
        sa.Column("box_x", sa.Float, nullable=False),
        sa.Column("box_y", sa.Float, nullable=False),
        sa.Column("box_width", sa.Float, nullable=False),
        sa.Column("box_height", sa.Float, nullable=False),
        sa.Column("detection_score", sa.Float, nullable=False),
        sa.Column("display_image", sa.LargeBinary, nullable=False),
        sa.Column("aligned_pixels", sa.LargeBinary, nullable=False),
        sa.Column("aligned_width", sa.Integer, nullable=False),
        sa.Column("aligned_height", sa.Integer, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
    )
    # Keep vectors inline: an exact scan then reads no TOAST pages (about 4x faster).
    op.execute("ALTER TABLE faces ALTER COLUMN embedding SET STORAGE PLAIN")
    op.create_index("faces_collection_created", "faces", ["collection_id", "created_at", "id"])
    op.create_index("faces_person", "faces", ["person_id"])


def downgrade() -> None:
    op.drop_table("faces")
    op.drop_table("people")
    op.drop_table("collections")
