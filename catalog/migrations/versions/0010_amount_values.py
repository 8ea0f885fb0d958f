"""Dated amounts: an aid's amount values with their start date and reference
(catalog/amounts.py), so that an answer can say « en vigueur depuis le … ».

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("aids", sa.Column("amount_values", sa.JSON, nullable=True))


def downgrade() -> None:
    op.drop_column("aids", "amount_values")
