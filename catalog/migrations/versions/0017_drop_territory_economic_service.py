"""Territories lose `economic_service`: the 14 records were unconfirmed, undated and unsourced,
and nothing showed them to users; each intercommunality's economic service is a contact of
kind `epci` (contacts.yml), with its sources and check date.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("territories") as batch:
        batch.drop_column("economic_service")


def downgrade() -> None:
    with op.batch_alter_table("territories") as batch:
        batch.add_column(sa.Column("economic_service", sa.JSON, nullable=True))
