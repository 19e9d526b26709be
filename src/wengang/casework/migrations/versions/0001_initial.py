"""casework ledger: initial schema

Revision ID: 0001
Revises:
Create Date: 2026-01-01
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table(
        "case_audit_events",
        sa.Column(
            "seq", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=False, nullable=False
        ),
        sa.Column("at", sa.String(length=32), nullable=False),
        sa.Column("actor", sa.String(length=64), nullable=False),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("entity", sa.String(length=40), nullable=False),
        sa.Column("entity_id", sa.String(length=64), nullable=True),
        sa.Column("ref", sa.String(length=40), nullable=True),
        sa.Column("row_count", sa.Integer(), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("before", sa.Text(), nullable=False),
        sa.Column("after", sa.Text(), nullable=False),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_case_audit_events")),
        sa.UniqueConstraint("prev_hash", name=op.f("uq_case_audit_events_prev_hash")),
    )
    with op.batch_alter_table("case_audit_events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_case_audit_events_ref"), ["ref"], unique=False)

    op.create_table(
        "case_payment_batches",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("batch_key", sa.String(length=64), nullable=False),
        sa.Column("program", sa.String(length=32), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("audit_ref", sa.String(length=40), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_payment_batches")),
        sa.UniqueConstraint("batch_key", name=op.f("uq_case_payment_batches_batch_key")),
    )
    with op.batch_alter_table("case_payment_batches", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_case_payment_batches_audit_ref"), ["audit_ref"], unique=False)

    op.create_table(
        "case_publicity_lists",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("list_key", sa.String(length=64), nullable=False),
        sa.Column("program", sa.String(length=32), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=False),
        sa.Column("audit_ref", sa.String(length=40), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_publicity_lists")),
        sa.UniqueConstraint("list_key", name=op.f("uq_case_publicity_lists_list_key")),
    )
    with op.batch_alter_table("case_publicity_lists", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_case_publicity_lists_audit_ref"), ["audit_ref"], unique=False)

    op.create_table(
        "case_runs",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("run_key", sa.String(length=64), nullable=False),
        sa.Column("program", sa.String(length=32), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("region_code", sa.String(length=12), nullable=False),
        sa.Column("inputs", sa.Text(), nullable=False),
        sa.Column("policy_versions", sa.Text(), nullable=False),
        sa.Column("readings", sa.Text(), nullable=False),
        sa.Column("audit_ref", sa.String(length=40), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_runs")),
        sa.UniqueConstraint("run_key", name=op.f("uq_case_runs_run_key")),
    )
    with op.batch_alter_table("case_runs", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_case_runs_audit_ref"), ["audit_ref"], unique=False)

    op.create_table(
        "case_decisions",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("run_id", sa.BigInteger(), nullable=True),
        sa.Column("origin", sa.String(length=16), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("program", sa.String(length=32), nullable=False),
        sa.Column("unit_id", sa.String(length=32), nullable=False),
        sa.Column("claim_key", sa.String(length=64), nullable=False),
        sa.Column("unit_name", sa.String(length=200), nullable=False),
        sa.Column("region_code", sa.String(length=12), nullable=False),
        sa.Column("policy_doc", sa.String(length=64), nullable=False),
        sa.Column("clause", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("amount_fen", sa.BigInteger(), nullable=True),
        sa.Column("reasons", sa.Text(), nullable=False),
        sa.Column("explanation", sa.Text(), nullable=False),
        sa.Column("readings", sa.Text(), nullable=False),
        sa.Column("payment_channel", sa.String(length=24), nullable=False),
        sa.Column("size_class", sa.String(length=16), nullable=True),
        sa.Column("contact", sa.String(length=64), nullable=True),
        sa.Column("audit_ref", sa.String(length=40), nullable=False),
        sa.Column("state", sa.String(length=24), nullable=False),
        sa.Column("account_no", sa.String(length=64), nullable=True),
        sa.Column("deadline", sa.Date(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["run_id"], ["case_runs.id"], name=op.f("fk_case_decisions_run_id_case_runs")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_decisions")),
        sa.UniqueConstraint("year", "program", "unit_id", "claim_key", name="uq_case_decisions_natural"),
    )
    with op.batch_alter_table("case_decisions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_case_decisions_audit_ref"), ["audit_ref"], unique=False)
        batch_op.create_index("ix_case_decisions_pys", ["program", "year", "state"], unique=False)

    op.create_table(
        "case_allocations",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("decision_id", sa.BigInteger(), nullable=False),
        sa.Column("user_unit_id", sa.String(length=32), nullable=False),
        sa.Column("user_unit_name", sa.String(length=200), nullable=False),
        sa.Column("workers", sa.Integer(), nullable=False),
        sa.Column("amount_fen", sa.BigInteger(), nullable=False),
        sa.Column("audit_ref", sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(
            ["decision_id"],
            ["case_decisions.id"],
            name=op.f("fk_case_allocations_decision_id_case_decisions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_allocations")),
        sa.UniqueConstraint("decision_id", "user_unit_id", name="uq_case_allocations_unit"),
    )
    with op.batch_alter_table("case_allocations", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_case_allocations_audit_ref"), ["audit_ref"], unique=False)

    op.create_table(
        "case_disqualifications",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("unit_id", sa.String(length=32), nullable=False),
        sa.Column("program", sa.String(length=32), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("source_decision_id", sa.BigInteger(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("audit_ref", sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(
            ["source_decision_id"],
            ["case_decisions.id"],
            name=op.f("fk_case_disqualifications_source_decision_id_case_decisions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_disqualifications")),
        sa.UniqueConstraint("unit_id", "program", "year", name="uq_case_disqualifications_unit"),
    )
    with op.batch_alter_table("case_disqualifications", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_case_disqualifications_audit_ref"), ["audit_ref"], unique=False)

    op.create_table(
        "case_outbox",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("decision_id", sa.BigInteger(), nullable=False),
        sa.Column("template", sa.String(length=32), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("idempotency_key", sa.String(length=128), nullable=False),
        sa.Column("recipient", sa.String(length=200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("audit_ref", sa.String(length=40), nullable=False),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("claimed_at", sa.String(length=32), nullable=True),
        sa.Column("sent_at", sa.String(length=32), nullable=True),
        sa.ForeignKeyConstraint(
            ["decision_id"], ["case_decisions.id"], name=op.f("fk_case_outbox_decision_id_case_decisions")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_outbox")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_case_outbox_idempotency_key")),
    )
    with op.batch_alter_table("case_outbox", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_case_outbox_audit_ref"), ["audit_ref"], unique=False)

    op.create_table(
        "case_payments",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("batch_id", sa.BigInteger(), nullable=True),
        sa.Column("decision_id", sa.BigInteger(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("amount_fen", sa.BigInteger(), nullable=False),
        sa.Column("channel", sa.String(length=24), nullable=False),
        sa.Column("account_no", sa.String(length=64), nullable=False),
        sa.Column("audit_ref", sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(
            ["batch_id"],
            ["case_payment_batches.id"],
            name=op.f("fk_case_payments_batch_id_case_payment_batches"),
        ),
        sa.ForeignKeyConstraint(
            ["decision_id"], ["case_decisions.id"], name=op.f("fk_case_payments_decision_id_case_decisions")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_payments")),
        sa.UniqueConstraint("decision_id", "kind", "seq", name="uq_case_payments_once"),
    )
    with op.batch_alter_table("case_payments", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_case_payments_audit_ref"), ["audit_ref"], unique=False)

    op.create_table(
        "case_publicity_entries",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("list_id", sa.BigInteger(), nullable=False),
        sa.Column("decision_id", sa.BigInteger(), nullable=False),
        sa.Column("audit_ref", sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(
            ["decision_id"],
            ["case_decisions.id"],
            name=op.f("fk_case_publicity_entries_decision_id_case_decisions"),
        ),
        sa.ForeignKeyConstraint(
            ["list_id"],
            ["case_publicity_lists.id"],
            name=op.f("fk_case_publicity_entries_list_id_case_publicity_lists"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_publicity_entries")),
        sa.UniqueConstraint("decision_id", name=op.f("uq_case_publicity_entries_decision_id")),
    )
    with op.batch_alter_table("case_publicity_entries", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_case_publicity_entries_audit_ref"), ["audit_ref"], unique=False)

    op.create_table(
        "case_recomputations",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("decision_id", sa.BigInteger(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("new_status", sa.String(length=20), nullable=False),
        sa.Column("new_size_class", sa.String(length=16), nullable=True),
        sa.Column("new_amount_fen", sa.BigInteger(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("audit_ref", sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(
            ["decision_id"],
            ["case_decisions.id"],
            name=op.f("fk_case_recomputations_decision_id_case_decisions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_recomputations")),
        sa.UniqueConstraint("decision_id", "seq", name="uq_case_recomputations_seq"),
    )
    with op.batch_alter_table("case_recomputations", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_case_recomputations_audit_ref"), ["audit_ref"], unique=False)

    op.create_table(
        "case_recoveries",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("decision_id", sa.BigInteger(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("amount_fen", sa.BigInteger(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("audit_ref", sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(
            ["decision_id"], ["case_decisions.id"], name=op.f("fk_case_recoveries_decision_id_case_decisions")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_recoveries")),
        sa.UniqueConstraint("decision_id", "kind", "seq", name="uq_case_recoveries_once"),
    )
    with op.batch_alter_table("case_recoveries", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_case_recoveries_audit_ref"), ["audit_ref"], unique=False)

    op.create_table(
        "case_reviews",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("decision_id", sa.BigInteger(), nullable=False),
        sa.Column("stage", sa.Integer(), nullable=False),
        sa.Column("reviewer", sa.String(length=64), nullable=False),
        sa.Column("approve", sa.Integer(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("audit_ref", sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(
            ["decision_id"], ["case_decisions.id"], name=op.f("fk_case_reviews_decision_id_case_decisions")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_reviews")),
        sa.UniqueConstraint("decision_id", "stage", name="uq_case_reviews_stage"),
    )
    with op.batch_alter_table("case_reviews", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_case_reviews_audit_ref"), ["audit_ref"], unique=False)

    op.create_table(
        "case_payment_returns",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("payment_id", sa.BigInteger(), nullable=False),
        sa.Column("amount_fen", sa.BigInteger(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("audit_ref", sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(
            ["payment_id"],
            ["case_payments.id"],
            name=op.f("fk_case_payment_returns_payment_id_case_payments"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_payment_returns")),
        sa.UniqueConstraint("payment_id", name=op.f("uq_case_payment_returns_payment_id")),
    )
    with op.batch_alter_table("case_payment_returns", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_case_payment_returns_audit_ref"), ["audit_ref"], unique=False)

    op.create_table(
        "case_recovery_receipts",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("recovery_id", sa.BigInteger(), nullable=False),
        sa.Column("amount_fen", sa.BigInteger(), nullable=False),
        sa.Column("audit_ref", sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(
            ["recovery_id"],
            ["case_recoveries.id"],
            name=op.f("fk_case_recovery_receipts_recovery_id_case_recoveries"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_recovery_receipts")),
        sa.UniqueConstraint("recovery_id", name=op.f("uq_case_recovery_receipts_recovery_id")),
    )
    with op.batch_alter_table("case_recovery_receipts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_case_recovery_receipts_audit_ref"), ["audit_ref"], unique=False)

    op.create_table(
        "case_transfers",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("allocation_id", sa.BigInteger(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("amount_fen", sa.BigInteger(), nullable=False),
        sa.Column("voucher", sa.String(length=128), nullable=False),
        sa.Column("audit_ref", sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(
            ["allocation_id"],
            ["case_allocations.id"],
            name=op.f("fk_case_transfers_allocation_id_case_allocations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_transfers")),
        sa.UniqueConstraint("allocation_id", "seq", name="uq_case_transfers_seq"),
    )
    with op.batch_alter_table("case_transfers", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_case_transfers_audit_ref"), ["audit_ref"], unique=False)


def downgrade() -> None:

    with op.batch_alter_table("case_transfers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_case_transfers_audit_ref"))

    op.drop_table("case_transfers")
    with op.batch_alter_table("case_recovery_receipts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_case_recovery_receipts_audit_ref"))

    op.drop_table("case_recovery_receipts")
    with op.batch_alter_table("case_payment_returns", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_case_payment_returns_audit_ref"))

    op.drop_table("case_payment_returns")
    with op.batch_alter_table("case_reviews", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_case_reviews_audit_ref"))

    op.drop_table("case_reviews")
    with op.batch_alter_table("case_recoveries", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_case_recoveries_audit_ref"))

    op.drop_table("case_recoveries")
    with op.batch_alter_table("case_recomputations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_case_recomputations_audit_ref"))

    op.drop_table("case_recomputations")
    with op.batch_alter_table("case_publicity_entries", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_case_publicity_entries_audit_ref"))

    op.drop_table("case_publicity_entries")
    with op.batch_alter_table("case_payments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_case_payments_audit_ref"))

    op.drop_table("case_payments")
    with op.batch_alter_table("case_outbox", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_case_outbox_audit_ref"))

    op.drop_table("case_outbox")
    with op.batch_alter_table("case_disqualifications", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_case_disqualifications_audit_ref"))

    op.drop_table("case_disqualifications")
    with op.batch_alter_table("case_allocations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_case_allocations_audit_ref"))

    op.drop_table("case_allocations")
    with op.batch_alter_table("case_decisions", schema=None) as batch_op:
        batch_op.drop_index("ix_case_decisions_pys")
        batch_op.drop_index(batch_op.f("ix_case_decisions_audit_ref"))

    op.drop_table("case_decisions")
    with op.batch_alter_table("case_runs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_case_runs_audit_ref"))

    op.drop_table("case_runs")
    with op.batch_alter_table("case_publicity_lists", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_case_publicity_lists_audit_ref"))

    op.drop_table("case_publicity_lists")
    with op.batch_alter_table("case_payment_batches", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_case_payment_batches_audit_ref"))

    op.drop_table("case_payment_batches")
    with op.batch_alter_table("case_audit_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_case_audit_events_ref"))

    op.drop_table("case_audit_events")
