"""a renamed person carries the change number of the rename, so search indexes keep names current

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # 0: never renamed (names come with their faces). A constant default adds no row rewrite.
    op.add_column("people", sa.Column("seq", sa.BigInteger, nullable=False, server_default="0"))
    # Only renamed people: what a replica catching up reads.
    op.create_index("people_renamed", "people", ["collection_id", "seq"], postgresql_where=sa.text("seq > 0"))


def downgrade() -> None:
    op.drop_index("people_renamed", "people")
    op.drop_column("people", "seq")
