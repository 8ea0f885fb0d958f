"""Console security: server-side sessions, shared rate-limit counters, and audit entries that
count repeated events (refused sign-ins) instead of adding one row each.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "console_sessions",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column(
            "account_id", sa.Integer, sa.ForeignKey("accounts.id"), nullable=False, index=True
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False, index=True),
    )
    op.create_table(
        "rate_limits",
        sa.Column("key", sa.String(300), primary_key=True),
        sa.Column("count", sa.Integer, nullable=False),
        sa.Column("expires_at", sa.Float, nullable=False, index=True),
    )
    with op.batch_alter_table("audit_log") as table:
        table.add_column(sa.Column("count", sa.Integer, nullable=False, server_default="1"))
        table.add_column(sa.Column("last_at", sa.DateTime(timezone=True)))


def downgrade() -> None:
    with op.batch_alter_table("audit_log") as table:
        table.drop_column("last_at")
        table.drop_column("count")
    op.drop_table("rate_limits")
    op.drop_table("console_sessions")
