"""Catalogue edits: a version per aid (optimistic locking of the console's edit form) and the
review of changes to national aids (proposed, then approved or refused by another account).

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("aids") as table:
        table.add_column(sa.Column("version", sa.Integer, nullable=False, server_default="1"))
    with op.batch_alter_table("catalog_edits") as table:
        table.add_column(sa.Column("version", sa.Integer))
        table.add_column(sa.Column("base_version", sa.Integer))
        table.add_column(sa.Column("reviewer_id", sa.Integer))
        table.add_column(sa.Column("reviewed_at", sa.DateTime(timezone=True)))


def downgrade() -> None:
    with op.batch_alter_table("catalog_edits") as table:
        for column in ("reviewed_at", "reviewer_id", "base_version", "version"):
            table.drop_column(column)
    with op.batch_alter_table("aids") as table:
        table.drop_column("version")
