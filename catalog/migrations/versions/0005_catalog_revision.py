"""Catalogue revision: one row bumped by every load and every console edit, so that running
processes (the action server) notice a change and reload the catalogue.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    table = op.create_table(
        "catalog_revision",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("revision", sa.Integer, nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True)),
    )
    op.bulk_insert(table, [{"id": 1, "revision": 0, "changed_at": None}])


def downgrade() -> None:
    op.drop_table("catalog_revision")
