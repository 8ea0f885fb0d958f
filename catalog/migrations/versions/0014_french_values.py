"""Domain values in French, as the naming rule says (docs/architecture.md, « Nommage »): console
roles `advisor` → `conseiller`, aid origin `curated` → `catalogue`; and the dated amounts' keys in
English, like every other structure key (`valeurs/depuis/texte/titre` → `values/since/text/title`).

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-02
"""

import json
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

_KEYS = {"depuis": "since", "texte": "text"}


def _renamed(
    values: list[dict[str, Any]], keys: dict[str, str], reference: tuple[str, str]
) -> list[dict[str, Any]]:
    renamed = []
    for stored in values:
        value = {keys.get(k, k): v for k, v in stored.items()}
        if isinstance(value.get("reference"), dict):
            old, new = reference
            value["reference"] = {new if k == old else k: v for k, v in value["reference"].items()}
        renamed.append(value)
    return renamed


def _amount_values(forward: bool) -> None:
    keys = _KEYS if forward else {v: k for k, v in _KEYS.items()}
    reference = ("titre", "title") if forward else ("title", "titre")
    connection = op.get_bind()
    rows = connection.execute(
        sa.text("SELECT id, amount_values FROM aids WHERE amount_values IS NOT NULL")
    ).all()
    for aid_id, stored in rows:
        values = json.loads(stored) if isinstance(stored, str) else stored
        if not values:
            continue
        connection.execute(
            sa.text("UPDATE aids SET amount_values = :values WHERE id = :id"),
            {"values": json.dumps(_renamed(values, keys, reference)), "id": aid_id},
        )


def upgrade() -> None:
    op.execute("UPDATE accounts SET role = 'conseiller' WHERE role = 'advisor'")
    op.execute("UPDATE aids SET origin = 'catalogue' WHERE origin = 'curated'")
    _amount_values(forward=True)


def downgrade() -> None:
    op.execute("UPDATE accounts SET role = 'advisor' WHERE role = 'conseiller'")
    op.execute("UPDATE aids SET origin = 'curated' WHERE origin = 'catalogue'")
    _amount_values(forward=False)
