"""casework ledger: workflow columns as a projection of the events; four-eyes account changes; ledger identity

- ``case_decisions.init_state`` / ``init_account_no`` / ``init_hold_reason``: the workflow values a row was
  created with, hashed with it, where ``projection.py`` starts. Rows that exist already get their current
  values (they predate the projection; ``audit verify`` says so).
- ``case_account_changes`` / ``case_account_approvals``: an account is changed by a request and a second
  person's approval.
- ``case_ledger_meta``: ``ledger_id``, the identity named in signed checkpoints.

Revision ID: 0003_h6_projection
Revises: 0003_h5_operators
Create Date: 2026-12-05
"""

import uuid

import sqlalchemy as sa
from alembic import op

revision = "0003_h6_projection"
down_revision = "0003_h5_operators"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    with op.batch_alter_table("case_decisions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("init_state", sa.String(length=24), nullable=True))
        batch_op.add_column(sa.Column("init_account_no", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("init_hold_reason", sa.Text(), nullable=True))
    op.execute("UPDATE case_decisions SET init_state = state, init_account_no = account_no, "
               "init_hold_reason = hold_reason")

    op.create_table(
        "case_account_changes",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("decision_id", sa.BigInteger(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("account_no", sa.String(length=64), nullable=False),
        sa.Column("requested_by", sa.String(length=64), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("audit_ref", sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(["decision_id"], ["case_decisions.id"],
                                name=op.f("fk_case_account_changes_decision_id_case_decisions")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_account_changes")),
        sa.UniqueConstraint("decision_id", "seq", name="uq_case_account_changes_seq"),
    )
    with op.batch_alter_table("case_account_changes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_case_account_changes_audit_ref"), ["audit_ref"], unique=False)

    op.create_table(
        "case_account_approvals",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("change_id", sa.BigInteger(), nullable=False),
        sa.Column("approver", sa.String(length=64), nullable=False),
        sa.Column("approve", sa.Integer(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("audit_ref", sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(["change_id"], ["case_account_changes.id"],
                                name=op.f("fk_case_account_approvals_change_id_case_account_changes")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_account_approvals")),
        sa.UniqueConstraint("change_id", name=op.f("uq_case_account_approvals_change_id")),
    )
    with op.batch_alter_table("case_account_approvals", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_case_account_approvals_audit_ref"), ["audit_ref"], unique=False)

    meta = op.create_table(
        "case_ledger_meta",
        sa.Column("key", sa.String(length=32), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_case_ledger_meta")),
    )
    op.bulk_insert(meta, [{"key": "ledger_id", "value": uuid.uuid4().hex}])


def downgrade() -> None:
    op.drop_table("case_ledger_meta")
    op.drop_table("case_account_approvals")
    op.drop_table("case_account_changes")
    with op.batch_alter_table("case_decisions", schema=None) as batch_op:
        batch_op.drop_column("init_hold_reason")
        batch_op.drop_column("init_account_no")
        batch_op.drop_column("init_state")
