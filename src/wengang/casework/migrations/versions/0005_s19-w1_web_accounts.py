"""web access: credentials, sessions, API tokens, login throttle, idempotency records, screening jobs

Revision ID: 0005_web_accounts
Revises: 0004_operator_events
Create Date: 2026-12-10
"""

import sqlalchemy as sa
from alembic import op

revision = "0005_web_accounts"
down_revision = "0004_operator_events"
branch_labels = None
depends_on = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "web_credentials",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("login", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("subject", sa.String(32), nullable=True),
        sa.Column("display_name", sa.String(200), nullable=False),
        sa.Column("password_hash", sa.String(200), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("changed_at", sa.String(32), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_web_credentials")),
        sa.UniqueConstraint("login", name=op.f("uq_web_credentials_login")),
    )
    op.create_index(op.f("ix_web_credentials_subject"), "web_credentials", ["subject"])
    op.create_table(
        "web_sessions",
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("login", sa.String(64), nullable=False),
        sa.Column("csrf_token", sa.String(64), nullable=False),
        sa.Column("created_at", sa.String(32), nullable=False),
        sa.Column("last_seen", sa.String(32), nullable=False),
        sa.Column("expires_at", sa.String(32), nullable=False),
        sa.Column("client", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_web_sessions")),
    )
    op.create_index(op.f("ix_web_sessions_login"), "web_sessions", ["login"])
    op.create_table(
        "web_api_tokens",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("login", sa.String(64), nullable=False),
        sa.Column("roles", sa.String(200), nullable=False),
        sa.Column("label", sa.String(100), nullable=False),
        sa.Column("created_at", sa.String(32), nullable=False),
        sa.Column("expires_at", sa.String(32), nullable=True),
        sa.Column("revoked", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_web_api_tokens")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_web_api_tokens_token_hash")),
    )
    op.create_index(op.f("ix_web_api_tokens_login"), "web_api_tokens", ["login"])
    op.create_table(
        "web_login_throttle",
        sa.Column("key", sa.String(120), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("window_start", sa.String(32), nullable=False),
        sa.Column("locked_until", sa.String(32), nullable=True),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_web_login_throttle")),
    )
    op.create_table(
        "web_idempotency",
        sa.Column("owner", sa.String(80), nullable=False),
        sa.Column("key", sa.String(200), nullable=False),
        sa.Column("request_sha256", sa.String(64), nullable=False),
        sa.Column("status", sa.Integer(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", sa.String(32), nullable=False),
        sa.PrimaryKeyConstraint("owner", "key", name=op.f("pk_web_idempotency")),
    )
    op.create_table(
        "web_screening_jobs",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("params", sa.Text(), nullable=False),
        sa.Column("stage", sa.String(200), nullable=False),
        sa.Column("out_dir", sa.Text(), nullable=False),
        sa.Column("summary", sa.Text(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("created_by", sa.String(64), nullable=False),
        sa.Column("created_at", sa.String(32), nullable=False),
        sa.Column("finished_at", sa.String(32), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_web_screening_jobs")),
    )


def downgrade() -> None:
    for t in ("web_screening_jobs", "web_idempotency", "web_login_throttle", "web_api_tokens", "web_sessions",
              "web_credentials"):
        op.drop_table(t)
