"""each collection may hold its own target false-positive identification rate (1:N thresholds)

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Unset: the registry's default (FACEREC_REGISTRY_TARGET_FPIR).
    op.add_column("collections", sa.Column("target_fpir", sa.Float, nullable=True))
    op.create_check_constraint("target_fpir_is_a_rate", "collections", "target_fpir > 0 AND target_fpir < 1")


def downgrade() -> None:
    op.drop_column("collections", "target_fpir")
