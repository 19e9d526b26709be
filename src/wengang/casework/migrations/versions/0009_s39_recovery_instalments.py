"""recovery receipts in instalments: several receipts per order, each with its day and bank reference

Revision ID: 0009_s39_recovery_instalments
Revises: 0008_s36_event_seal
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

revision = "0009_s39_recovery_instalments"
down_revision = "0008_s36_event_seal"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("case_recovery_receipts") as batch:
        batch.drop_constraint("uq_case_recovery_receipts_recovery_id", type_="unique")
        batch.add_column(sa.Column("received_on", sa.Date(), nullable=True))
        batch.add_column(sa.Column("reference", sa.String(length=128), nullable=True))
        batch.add_column(sa.Column("receipt_key", sa.String(length=160), nullable=True))
        batch.create_unique_constraint("uq_case_recovery_receipts_key", ["recovery_id", "receipt_key"])
        batch.create_index("ix_case_recovery_receipts_recovery_id", ["recovery_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("case_recovery_receipts") as batch:
        batch.drop_index("ix_case_recovery_receipts_recovery_id")
        batch.drop_constraint("uq_case_recovery_receipts_key", type_="unique")
        batch.drop_column("receipt_key")
        batch.drop_column("reference")
        batch.drop_column("received_on")
        batch.create_unique_constraint("uq_case_recovery_receipts_recovery_id", ["recovery_id"])
