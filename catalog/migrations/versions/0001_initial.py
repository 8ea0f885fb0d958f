"""Initial catalogue schema: regions, territories, communes, QPV, aids, contacts.

Revision ID: 0001
Revises:
Create Date: 2026-11-25
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "regions",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("insee_code", sa.String(8)),
        sa.Column("departments", sa.JSON, nullable=False),
    )
    op.create_table(
        "territories",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("region_id", sa.String(64), sa.ForeignKey("regions.id"), nullable=False),
        sa.Column("epci_siren", sa.String(9)),
        sa.Column("epci_name", sa.String(200)),
        sa.Column("economic_service", sa.JSON),
    )
    op.create_table(
        "communes",
        sa.Column("insee", sa.String(5), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False, index=True),
        sa.Column(
            "territory_id",
            sa.String(64),
            sa.ForeignKey("territories.id"),
            nullable=False,
            index=True,
        ),
        sa.Column("postal_codes", sa.JSON, nullable=False),
    )
    op.create_table(
        "qpv",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("code", sa.String(16)),
        sa.Column("name", sa.String(300), nullable=False),
        sa.Column(
            "commune_insee",
            sa.String(5),
            sa.ForeignKey("communes.insee"),
            nullable=False,
            index=True,
        ),
        sa.Column("confidence", sa.String(16), nullable=False),
        sa.Column("source", sa.Text),
    )
    op.create_table(
        "aids",
        sa.Column("id", sa.String(100), primary_key=True),
        sa.Column("name", sa.String(300), nullable=False),
        sa.Column("family", sa.String(32), nullable=False),
        sa.Column("provider", sa.String(300), nullable=False),
        sa.Column("operator", sa.String(300)),
        sa.Column("type", sa.String(32), nullable=False),
        sa.Column("summary", sa.Text, nullable=False),
        sa.Column("amount_text", sa.Text),
        sa.Column("amount_min", sa.Float),
        sa.Column("amount_max", sa.Float),
        sa.Column("qpv_specific", sa.Boolean, nullable=False),
        sa.Column("needs", sa.JSON, nullable=False),
        sa.Column("regions", sa.JSON, nullable=False),
        sa.Column("territories", sa.JSON, nullable=False),
        sa.Column("eligibility", sa.JSON),
        sa.Column("checks", sa.JSON, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("valid_from", sa.Date),
        sa.Column("valid_until", sa.Date),
        sa.Column("url", sa.Text, nullable=False),
        sa.Column("sources", sa.JSON, nullable=False),
        sa.Column("confidence", sa.String(16), nullable=False),
        sa.Column("last_checked", sa.Date),
        sa.Column("research_ref", sa.String(16)),
        sa.Column("origin", sa.String(32), nullable=False),
    )
    op.create_table(
        "contacts",
        sa.Column("id", sa.String(100), primary_key=True),
        sa.Column("name", sa.String(300), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("territory_id", sa.String(64), sa.ForeignKey("territories.id"), index=True),
        sa.Column("needs", sa.JSON, nullable=False),
        sa.Column("stages", sa.JSON, nullable=False),
        sa.Column("description", sa.Text),
        sa.Column("url", sa.Text),
        sa.Column("phone", sa.String(40)),
        sa.Column("email", sa.String(200)),
        sa.Column("address", sa.Text),
        sa.Column("hours", sa.Text),
        sa.Column("confidence", sa.String(16), nullable=False),
        sa.Column("sources", sa.JSON, nullable=False),
        sa.Column("last_checked", sa.Date),
    )


def downgrade() -> None:
    for table in ("contacts", "aids", "qpv", "communes", "territories", "regions"):
        op.drop_table(table)
