"""web screening jobs: the running step's rows processed (progress)

Revision ID: 0005_s19w4_job_progress
Revises: 0005_web_accounts
Create Date: 2026-12-04
"""

import sqlalchemy as sa
from alembic import op

revision = "0005_s19w4_job_progress"
down_revision = "0005_s19r1_risk_flags"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("web_screening_jobs") as batch:
        batch.add_column(sa.Column("progress", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("web_screening_jobs") as batch:
        batch.drop_column("progress")
