"""The observatory counts the aids whose official link was opened from the widget: each
recommendation row gets `opened` (false until the person opens the link; set by the consumer
from the event the web server appends to the conversation, catalog/observatory.py).

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("observed_recommendations") as table:
        table.add_column(sa.Column("opened", sa.Boolean, nullable=False, server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table("observed_recommendations") as table:
        table.drop_column("opened")
