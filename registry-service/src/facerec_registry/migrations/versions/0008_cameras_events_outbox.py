"""cameras, their leases to stream replicas, the events they produce and the delivery outbox

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "cameras",
        sa.Column("id", sa.Uuid, primary_key=True),
        sa.Column("name", sa.String(64), nullable=False, unique=True),
        # As given, credentials included: answered only to stream replicas (LeaseCameras).
        sa.Column("source_url", sa.Text, nullable=False),
        sa.Column("collection", sa.String(64), nullable=False),
        sa.Column("fps", sa.Float, nullable=False),
        sa.Column("min_face_px", sa.Float, nullable=False),
        sa.Column("enabled", sa.Boolean, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    )
    op.create_table(
        "stream_replicas",
        sa.Column("holder", sa.String(200), primary_key=True),
        sa.Column("seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("lease_seconds", sa.Float, nullable=False),
    )
    op.create_table(
        "camera_leases",
        sa.Column("camera_id", sa.Uuid, sa.ForeignKey("cameras.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("holder", sa.String(200), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("acquired_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    )
    op.create_table(
        "camera_states",
        sa.Column("camera_id", sa.Uuid, sa.ForeignKey("cameras.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("holder", sa.String(200), nullable=False),
        sa.Column("state", JSONB, nullable=False),
        sa.Column("last_frame_jpeg", sa.LargeBinary),
        sa.Column("reported_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "camera_events",
        sa.Column("id", sa.Uuid, primary_key=True),
        # Names, not keys: an event stays as it happened after its camera or collection goes.
        sa.Column("camera", sa.String(64), nullable=False),
        sa.Column("collection", sa.String(64), nullable=False),
        sa.Column("person_id", sa.Uuid),
        sa.Column("person_name", sa.Text),
        sa.Column("score", sa.Float, nullable=False),
        sa.Column("threshold", sa.Float, nullable=False),
        sa.Column("first_seen", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen", sa.DateTime(timezone=True), nullable=False),
        sa.Column("crop_jpeg", sa.LargeBinary),
        sa.Column("track_count", sa.Integer, nullable=False),
        sa.Column("ended", sa.Boolean, nullable=False, server_default=sa.false()),
    )
    op.create_index("camera_events_by_time", "camera_events", [sa.text("first_seen DESC"), sa.text("id DESC")])
    op.create_index("camera_events_by_camera", "camera_events", ["camera", sa.text("first_seen DESC")])
    op.create_index("camera_events_by_person", "camera_events", ["person_id", sa.text("first_seen DESC")])
    # What the retention purge deletes by.
    op.create_index("camera_events_by_last_seen", "camera_events", ["last_seen"])
    op.create_table(
        "event_outbox",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("event_id", sa.Uuid, sa.ForeignKey("camera_events.id", ondelete="CASCADE"), nullable=False),
        sa.Column("sink", sa.String(100), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("status", sa.String(16), nullable=False, server_default="pending"),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("last_error", sa.Text, nullable=False, server_default=""),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.Column("delivered_at", sa.DateTime(timezone=True)),
    )
    # One delivery per event, sink and kind (a retried write queues nothing twice); also what a
    # deleted event's deliveries are found by.
    op.create_unique_constraint("event_outbox_once", "event_outbox", ["event_id", "sink", "kind"])
    # What ClaimDeliveries scans: the due rows only.
    op.create_index(
        "event_outbox_due", "event_outbox", ["next_attempt_at"], postgresql_where=sa.text("status = 'pending'")
    )


def downgrade() -> None:
    op.drop_table("event_outbox")
    op.drop_table("camera_events")
    op.drop_table("camera_states")
    op.drop_table("camera_leases")
    op.drop_table("stream_replicas")
    op.drop_table("cameras")
