"""audit events: a seal (the signing key's signature over the event's hash)

Revision ID: 0008_s36_event_seal
Revises: 0005_s19w4_job_progress
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

revision = "0008_s36_event_seal"
down_revision = "0005_s19w4_job_progress"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("case_audit_events") as batch:
        batch.add_column(sa.Column("seal", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("case_audit_events") as batch:
        batch.drop_column("seal")
