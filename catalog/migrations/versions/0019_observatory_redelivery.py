"""A RabbitMQ redelivery is folded once: the consumer keeps, beside its position, the
fingerprints of the messages not yet acknowledged when it committed (bot/observatory/
consumer.py, `fold_messages`).

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("observatory_position") as table:
        table.add_column(sa.Column("recent", sa.JSON, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("observatory_position") as table:
        table.drop_column("recent")
