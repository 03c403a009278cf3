"""Progression: the hold each person does next time per routine, and what last changed.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "history_plans",
        sa.Column("person_id", sa.String(32), primary_key=True),
        sa.Column("variant", sa.String(40), primary_key=True),
        sa.Column("seconds", sa.Integer, nullable=False),
        sa.Column("reps", sa.Integer, nullable=False),
        sa.Column("change", sa.String(8)),   # seconds | reps | back: said at the next session
        sa.Column("updated_at", sa.DateTime, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("history_plans")
