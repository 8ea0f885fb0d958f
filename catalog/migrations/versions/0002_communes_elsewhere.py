"""Communes outside the territories that share a name with one of theirs.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "communes_elsewhere",
        sa.Column("insee", sa.String(5), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("department", sa.String(3), nullable=False),
        sa.Column("department_name", sa.String(100)),
        sa.Column("postal_codes", sa.JSON, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("communes_elsewhere")
