"""The observatory: one row per conversation and one per aid shown, built from the events
Rasa publishes (bot/observatory/), and the consumer's position in the SQL broker.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "observed_conversations",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("key", sa.String(64), nullable=False, unique=True),
        sa.Column("territory_id", sa.String(64), index=True),
        sa.Column("channel", sa.String(20)),
        sa.Column("first_at", sa.Float, nullable=False),
        sa.Column("last_at", sa.Float, nullable=False, index=True),
        sa.Column("turns", sa.Integer, nullable=False),
        sa.Column("stade", sa.String(40)),
        sa.Column("secteur", sa.String(40)),
        sa.Column("statut", sa.String(40)),
        sa.Column("habite_qpv", sa.Boolean),
        sa.Column("implante_qpv", sa.Boolean),
        sa.Column("besoins", sa.JSON, nullable=False),
        sa.Column("profile", sa.JSON, nullable=False),
        sa.Column("aids_shown", sa.Integer, nullable=False),
        sa.Column("fallbacks", sa.Integer, nullable=False),
        sa.Column("contact_asked", sa.Boolean, nullable=False),
        sa.Column("lead", sa.Boolean, nullable=False),
        sa.Column("outcome", sa.String(40)),
        sa.Column("state", sa.JSON, nullable=False),
    )
    op.create_table(
        "observed_recommendations",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column(
            "conversation_id",
            sa.Integer,
            sa.ForeignKey("observed_conversations.id", ondelete="CASCADE"),
            nullable=False,
            index=True,
        ),
        sa.Column("aid_id", sa.String(120), nullable=False, index=True),
        sa.Column("rank", sa.Integer, nullable=False),
        sa.Column("shown_at", sa.Float, nullable=False),
        sa.Column("details_asked", sa.Boolean, nullable=False),
    )
    op.create_table(
        "observatory_position",
        sa.Column("source", sa.String(40), primary_key=True),
        sa.Column("position", sa.Integer, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("observatory_position")
    op.drop_table("observed_recommendations")
    op.drop_table("observed_conversations")
