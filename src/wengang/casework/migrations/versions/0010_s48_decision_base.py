"""the 返还基数 a decision's amount was computed from, and a 待认定 decision's result under each reading:
case_decisions.base_fen and case_decisions.outcomes (hashed from hash version 4)

Revision ID: 0010_s48_decision_base
Revises: 0009_s39_recovery_instalments
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0010_s48_decision_base"
down_revision = "0009_s39_recovery_instalments"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("case_decisions") as batch:
        batch.add_column(sa.Column("base_fen", sa.BigInteger(), nullable=True))
        batch.add_column(sa.Column("outcomes", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("case_decisions") as batch:
        batch.drop_column("outcomes")
        batch.drop_column("base_fen")
