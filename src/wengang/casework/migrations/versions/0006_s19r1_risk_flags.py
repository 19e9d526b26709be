"""casework ledger: the risk-flag review queue (风险疑点: flags as found, the 稽核's verdicts)

Revision ID: 0005_s19r1_risk_flags
Revises: 0004_operator_events
Create Date: 2027-01-10
"""

import sqlalchemy as sa
from alembic import op

revision = "0005_s19r1_risk_flags"
down_revision = "0005_web_accounts"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "case_risk_flags",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("flag_key", sa.String(length=200), nullable=False),
        sa.Column("check_id", sa.String(length=40), nullable=False),
        sa.Column("severity", sa.String(length=4), nullable=False),
        sa.Column("program", sa.String(length=32), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("subject_id", sa.String(length=32), nullable=False),
        sa.Column("subject_name", sa.String(length=200), nullable=False),
        sa.Column("claim_key", sa.String(length=64), nullable=False),
        sa.Column("region_code", sa.String(length=12), nullable=False),
        sa.Column("record", sa.String(length=160), nullable=False),
        sa.Column("amount_fen", sa.BigInteger(), nullable=True),
        sa.Column("label", sa.Text(), nullable=False),
        sa.Column("citation", sa.String(length=120), nullable=False),
        sa.Column("quote", sa.Text(), nullable=False),
        sa.Column("evidence", sa.Text(), nullable=False),
        sa.Column("audit_ref", sa.String(length=40), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_risk_flags")),
        sa.UniqueConstraint("flag_key", name=op.f("uq_case_risk_flags_flag_key")),
    )
    with op.batch_alter_table("case_risk_flags", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_case_risk_flags_audit_ref"), ["audit_ref"], unique=False)
        batch_op.create_index("ix_case_risk_flags_subject", ["program", "year", "subject_id"], unique=False)
    op.create_table(
        "case_risk_reviews",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("flag_id", sa.BigInteger(), nullable=False),
        sa.Column("outcome", sa.String(length=12), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("reviewer", sa.String(length=64), nullable=False),
        sa.Column("decision_id", sa.BigInteger(), nullable=True),
        sa.Column("recovery_id", sa.BigInteger(), nullable=True),
        sa.Column("referral", sa.Boolean(), nullable=False),
        sa.Column("audit_ref", sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(
            ["flag_id"], ["case_risk_flags.id"], name=op.f("fk_case_risk_reviews_flag_id_case_risk_flags")
        ),
        sa.ForeignKeyConstraint(
            ["decision_id"],
            ["case_decisions.id"],
            name=op.f("fk_case_risk_reviews_decision_id_case_decisions"),
        ),
        sa.ForeignKeyConstraint(
            ["recovery_id"],
            ["case_recoveries.id"],
            name=op.f("fk_case_risk_reviews_recovery_id_case_recoveries"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_risk_reviews")),
        sa.UniqueConstraint("flag_id", name=op.f("uq_case_risk_reviews_flag_id")),
    )
    with op.batch_alter_table("case_risk_reviews", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_case_risk_reviews_audit_ref"), ["audit_ref"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("case_risk_reviews", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_case_risk_reviews_audit_ref"))
    op.drop_table("case_risk_reviews")
    with op.batch_alter_table("case_risk_flags", schema=None) as batch_op:
        batch_op.drop_index("ix_case_risk_flags_subject")
        batch_op.drop_index(batch_op.f("ix_case_risk_flags_audit_ref"))
    op.drop_table("case_risk_flags")
