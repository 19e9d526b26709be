"""casework ledger: when a decision last changed (``changed_at``), for finding cases by date

Existing rows are stamped from the audit trail: the event that created the row (its ``audit_ref``), the
events naming it (``entity_id``), the set-based steps listing it (``ids``, a 公示 ``publicity_ref``) and
the payment batches that paid it.

Revision ID: 0003_h1_changed_at
Revises: 0002
Create Date: 2026-12-04
"""

import json

import sqlalchemy as sa
from alembic import op

revision = "0003_h1_changed_at"
down_revision = "0002"
branch_labels = None
depends_on = None

D = sa.table("case_decisions", sa.column("id"), sa.column("audit_ref"), sa.column("changed_at"))
EV = sa.table("case_audit_events", sa.column("at"), sa.column("action"), sa.column("entity"),
              sa.column("entity_id"), sa.column("ref"), sa.column("after"))
E = sa.table("case_publicity_entries", sa.column("decision_id"), sa.column("audit_ref"))
P = sa.table("case_payments", sa.column("decision_id"), sa.column("audit_ref"))


def upgrade() -> None:
    with op.batch_alter_table("case_decisions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("changed_at", sa.String(length=32), nullable=True))
        batch_op.create_index("ix_case_decisions_changed_at", ["changed_at"], unique=False)
    backfill(op.get_bind())


def backfill(conn: sa.Connection) -> None:
    """Stamp every decision with the time of the last audit event that changed it."""
    conn.execute(D.update().values(changed_at=sa.select(sa.func.max(EV.c.at)).where(EV.c.ref == D.c.audit_ref)
                                   .scalar_subquery()))
    last: dict[int, str] = {}

    def touch(decision_id: int, at: str) -> None:
        if at > last.get(decision_id, ""):
            last[decision_id] = at

    mine = sa.and_(EV.c.entity == "case_decisions", EV.c.entity_id.is_not(None))
    for eid, at in conn.execute(sa.select(EV.c.entity_id, sa.func.max(EV.c.at)).where(mine).group_by(EV.c.entity_id)):
        touch(int(eid), at)
    bulk = sa.and_(EV.c.entity == "case_decisions", EV.c.entity_id.is_(None), EV.c.ref.is_(None))
    for at, after in conn.execute(sa.select(EV.c.at, EV.c.after).where(bulk)):
        a = json.loads(after or "null")
        if not isinstance(a, dict):
            continue
        for i in a.get("ids") or ():
            touch(int(i), at)
        if a.get("publicity_ref"):
            for (i,) in conn.execute(sa.select(E.c.decision_id).where(E.c.audit_ref == a["publicity_ref"])):
                touch(i, at)
    paid = sa.select(EV.c.at, P.c.decision_id).select_from(EV.join(P, P.c.audit_ref == EV.c.ref)).where(
        EV.c.entity == "case_payments", EV.c.action == "pay")
    for at, i in conn.execute(paid):
        touch(i, at)
    if last:
        conn.execute(
            D.update().where(D.c.id == sa.bindparam("i"),
                             sa.or_(D.c.changed_at.is_(None), D.c.changed_at < sa.bindparam("at")))
            .values(changed_at=sa.bindparam("at")),
            [{"i": i, "at": at} for i, at in last.items()],
        )


def downgrade() -> None:
    with op.batch_alter_table("case_decisions", schema=None) as batch_op:
        batch_op.drop_index("ix_case_decisions_changed_at")
        batch_op.drop_column("changed_at")
