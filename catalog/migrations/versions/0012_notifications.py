"""E-mails to advisors: the outbox of notifications, and each account's choice between one
e-mail per contact request and a daily digest (catalog/notify.py).

Revision ID: 0012
Revises: 0010
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("accounts") as table:
        table.add_column(
            sa.Column("daily_digest", sa.Boolean, nullable=False, server_default=sa.false())
        )
        table.add_column(sa.Column("digest_until", sa.DateTime(timezone=True), nullable=True))
    op.create_table(
        "notifications",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("territory_id", sa.String(64), nullable=True),
        sa.Column("lead_id", sa.Integer, nullable=True, index=True),
        sa.Column("recipients", sa.JSON, nullable=False),
        sa.Column("subject", sa.String(300), nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False, index=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True, index=True),
        sa.Column("last_error", sa.String(200), nullable=True),
    )


def downgrade() -> None:
    op.drop_table("notifications")
    with op.batch_alter_table("accounts") as table:
        table.drop_column("digest_until")
        table.drop_column("daily_digest")
