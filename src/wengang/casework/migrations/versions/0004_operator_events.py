"""casework ledger: an index to read one entity's events (operators' roles are rebuilt from them)

Revision ID: 0004_operator_events
Revises: 0003_h6_projection
Create Date: 2026-12-04
"""

from alembic import op

revision = "0004_operator_events"
down_revision = "0003_h6_projection"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_case_audit_events_entity", "case_audit_events", ["entity", "entity_id"])


def downgrade() -> None:
    op.drop_index("ix_case_audit_events_entity", table_name="case_audit_events")
