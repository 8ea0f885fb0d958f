"""QPV perimeters: the official 2024 geometries (ANCT, data.gouv.fr) for the address check,
one row per QPV, geometry as WKB in WGS84.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "qpv_perimeters",
        sa.Column("code", sa.String(16), primary_key=True),
        sa.Column("name", sa.String(300), nullable=False),
        sa.Column("communes", sa.JSON, nullable=False),
        sa.Column("geometry", sa.LargeBinary, nullable=False),
        sa.Column("source", sa.Text, nullable=False),
        sa.Column("imported_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("qpv_perimeters")
