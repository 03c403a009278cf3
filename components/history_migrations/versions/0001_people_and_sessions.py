"""People, devices and their sessions: one row per session and person, its sides and pain reports.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "devices",
        sa.Column("id", sa.String(64), primary_key=True),   # SHA-256 hex of the device's secret
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("seen_at", sa.DateTime, nullable=False),
        sa.Column("last_first", sa.String(32)),             # the pair it saw last (people.id)
        sa.Column("last_second", sa.String(32)),
    )
    op.create_table(
        "people",
        sa.Column("id", sa.String(32), primary_key=True),   # random, shown to the page
        sa.Column("name", sa.String(30), nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
    )
    op.create_table(
        "person_devices",
        sa.Column("person_id", sa.String(32), primary_key=True),
        sa.Column("device_id", sa.String(64), primary_key=True),
        sa.Column("name_key", sa.String(30), nullable=False),
    )
    op.create_index("person_devices_by_device", "person_devices", ["device_id", "name_key"])
    op.create_table(
        "history_sessions",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("person_id", sa.String(32), nullable=False),
        sa.Column("conversation", sa.String(128), nullable=False),
        sa.Column("started_at", sa.DateTime, nullable=False),
        sa.Column("ended_at", sa.DateTime),
        sa.Column("end", sa.String(16), nullable=False),
        sa.Column("partner", sa.String(30)),
        sa.Column("holds", sa.Integer, nullable=False),
        sa.Column("seconds", sa.Integer, nullable=False),
    )
    op.create_index("history_sessions_by_person", "history_sessions", ["person_id", "started_at"])
    op.create_index("history_sessions_by_key", "history_sessions",
                    ["person_id", "conversation", "started_at"], unique=True)
    op.create_table(
        "history_sides",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("session_id", sa.Integer, nullable=False, index=True),
        sa.Column("variant", sa.String(40), nullable=False),
        sa.Column("side", sa.String(8), nullable=False),
        sa.Column("holds", sa.Integer, nullable=False),
        sa.Column("seconds", sa.Integer, nullable=False),
        sa.Column("level", sa.Integer, nullable=False),
    )
    op.create_table(
        "history_pains",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("session_id", sa.Integer, nullable=False, index=True),
        sa.Column("at", sa.DateTime, nullable=False),
        sa.Column("rating", sa.Integer),
        sa.Column("sharp", sa.Boolean, nullable=False),
        sa.Column("variant", sa.String(40)),
        sa.Column("side", sa.String(8)),
        sa.Column("step", sa.Integer, nullable=False),
        sa.Column("action", sa.String(16), nullable=False),
    )


def downgrade() -> None:
    for table in ("history_pains", "history_sides", "history_sessions", "person_devices",
                  "people", "devices"):
        op.drop_table(table)
