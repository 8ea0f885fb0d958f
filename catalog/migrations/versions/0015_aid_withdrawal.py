"""Withdrawn aids: an aid whose facts no official source could confirm is taken out of the
recommendations, with the date and the reason (aid_schema.Withdrawal), until checked again.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("aids", sa.Column("withdrawn_since", sa.Date, nullable=True))
    op.add_column("aids", sa.Column("withdrawn_reason", sa.Text, nullable=True))


def downgrade() -> None:
    op.drop_column("aids", "withdrawn_reason")
    op.drop_column("aids", "withdrawn_since")
