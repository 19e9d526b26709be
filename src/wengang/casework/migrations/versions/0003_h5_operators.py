"""casework ledger: registered operators (login, display name, roles, enabled)

Revision ID: 0003_h5_operators
Revises: 0003_h2_bank_return
Create Date: 2026-12-04
"""

import sqlalchemy as sa
from alembic import op

revision = "0003_h5_operators"
down_revision = "0003_h2_bank_return"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "case_operators",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("login", sa.String(length=64), nullable=False),
        sa.Column("display_name", sa.String(length=100), nullable=False),
        sa.Column("audit_ref", sa.String(length=40), nullable=False),
        sa.Column("roles", sa.String(length=200), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_operators")),
        sa.UniqueConstraint("login", name=op.f("uq_case_operators_login")),
    )
    with op.batch_alter_table("case_operators", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_case_operators_audit_ref"), ["audit_ref"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("case_operators", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_case_operators_audit_ref"))
    op.drop_table("case_operators")
