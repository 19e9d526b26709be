"""casework ledger: bank files, the bank's return (confirmations), payee banks, re-routed payee channel

Revision ID: 0003_h2_bank_return
Revises: 0003_h1_changed_at
Create Date: 2026-12-05
"""

import sqlalchemy as sa
from alembic import op

revision = "0003_h2_bank_return"
down_revision = "0003_h1_changed_at"
branch_labels = None
depends_on = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _audit_ref_index(table: str) -> None:
    with op.batch_alter_table(table, schema=None) as batch_op:
        batch_op.create_index(batch_op.f(f"ix_{table}_audit_ref"), ["audit_ref"], unique=False)


def upgrade() -> None:
    with op.batch_alter_table("case_decisions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("payee_channel", sa.String(length=24), nullable=True))

    op.create_table(
        "case_payee_banks",
        sa.Column("account_no", sa.String(length=64), nullable=False),
        sa.Column("bank_code", sa.String(length=12), nullable=False),
        sa.PrimaryKeyConstraint("account_no", name=op.f("pk_case_payee_banks")),
    )
    op.create_table(
        "case_bank_files",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("batch_id", sa.BigInteger(), nullable=False),
        sa.Column("file_key", sa.String(length=32), nullable=False),
        sa.Column("value_date", sa.Date(), nullable=False),
        sa.Column("payer_account", sa.String(length=32), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("total_fen", sa.BigInteger(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("audit_ref", sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(["batch_id"], ["case_payment_batches.id"],
                                name=op.f("fk_case_bank_files_batch_id_case_payment_batches")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_bank_files")),
        sa.UniqueConstraint("file_key", name=op.f("uq_case_bank_files_file_key")),
    )
    _audit_ref_index("case_bank_files")
    op.create_table(
        "case_bank_file_items",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("file_id", sa.BigInteger(), nullable=False),
        sa.Column("payment_id", sa.BigInteger(), nullable=False),
        sa.Column("audit_ref", sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(["file_id"], ["case_bank_files.id"],
                                name=op.f("fk_case_bank_file_items_file_id_case_bank_files")),
        sa.ForeignKeyConstraint(["payment_id"], ["case_payments.id"],
                                name=op.f("fk_case_bank_file_items_payment_id_case_payments")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_bank_file_items")),
        sa.UniqueConstraint("payment_id", name=op.f("uq_case_bank_file_items_payment_id")),
    )
    _audit_ref_index("case_bank_file_items")
    op.create_table(
        "case_bank_confirmations",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("payment_id", sa.BigInteger(), nullable=False),
        sa.Column("amount_fen", sa.BigInteger(), nullable=False),
        sa.Column("account_no", sa.String(length=64), nullable=False),
        sa.Column("bank_date", sa.Date(), nullable=False),
        sa.Column("return_sha256", sa.String(length=64), nullable=False),
        sa.Column("audit_ref", sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(["payment_id"], ["case_payments.id"],
                                name=op.f("fk_case_bank_confirmations_payment_id_case_payments")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_bank_confirmations")),
        sa.UniqueConstraint("payment_id", name=op.f("uq_case_bank_confirmations_payment_id")),
    )
    _audit_ref_index("case_bank_confirmations")


def downgrade() -> None:
    for table in ("case_bank_confirmations", "case_bank_file_items", "case_bank_files"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_index(batch_op.f(f"ix_{table}_audit_ref"))
        op.drop_table(table)
    op.drop_table("case_payee_banks")
    with op.batch_alter_table("case_decisions", schema=None) as batch_op:
        batch_op.drop_column("payee_channel")
