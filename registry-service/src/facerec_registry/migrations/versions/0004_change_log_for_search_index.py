"""a per-collection change log so every registry replica keeps its in-memory search index in step;
imported faces may come without their aligned crop or display image

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import UUID

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # change_seq: bumped under the collection's row lock by every write, so sequence order is commit order.
    op.add_column("collections", sa.Column("change_seq", sa.BigInteger, nullable=False, server_default="0"))
    # An index that applied less than reload_seq must reload in full (re-embedding, pruned tombstones).
    op.add_column("collections", sa.Column("reload_seq", sa.BigInteger, nullable=False, server_default="0"))
    op.add_column("faces", sa.Column("seq", sa.BigInteger, nullable=False, server_default="0"))
    op.create_index("faces_collection_seq", "faces", ["collection_id", "seq"])
    op.create_table(
        "face_tombstones",
        sa.Column(
            "collection_id", UUID(as_uuid=True), sa.ForeignKey("collections.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("seq", sa.BigInteger, nullable=False),
        sa.Column("face_id", UUID(as_uuid=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.PrimaryKeyConstraint("collection_id", "seq", "face_id"),
    )
    op.create_index("face_tombstones_created", "face_tombstones", ["created_at"])
    for column in ("display_image", "aligned_pixels", "aligned_width", "aligned_height"):
        op.alter_column("faces", column, nullable=True)


def downgrade() -> None:
    op.execute("DELETE FROM faces WHERE aligned_pixels IS NULL OR display_image IS NULL")
    for column in ("display_image", "aligned_pixels", "aligned_width", "aligned_height"):
        op.alter_column("faces", column, nullable=False)
    op.drop_table("face_tombstones")
    op.drop_index("faces_collection_seq", "faces")
    op.drop_column("faces", "seq")
    op.drop_column("collections", "reload_seq")
    op.drop_column("collections", "change_seq")
