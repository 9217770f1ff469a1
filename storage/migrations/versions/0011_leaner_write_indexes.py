"""leaner write indexes

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03

Indexes no query uses cost every write. Dropped: the outbox's on `account_id` (nothing
reads messages by account; accounts are never deleted) and change_request's on
`status` (pending requests are read through the partial indexes `uq_request_one_pending`
and `ix_request_due`, the rest by account). The audit log's two single-column indexes
become one on `(account_id, at)`, what its readers ask: an account's events since a date.
A scheduler pass expiring 1,000 requests writes 1,000 rows in each of these tables.
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = '0011'
down_revision: str | None = '0010'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Indexes alone: no table is copied (SQLite's batch mode would drop the audit log's triggers).
    op.drop_index('ix_outbox_account_id', table_name='outbox')
    op.drop_index('ix_change_request_status', table_name='change_request')
    op.create_index('ix_audit_event_account_at', 'audit_event', ['account_id', 'at'], unique=False)
    op.drop_index('ix_audit_event_at', table_name='audit_event')
    op.drop_index('ix_audit_event_account_id', table_name='audit_event')


def downgrade() -> None:
    op.create_index('ix_audit_event_account_id', 'audit_event', ['account_id'], unique=False)
    op.create_index('ix_audit_event_at', 'audit_event', ['at'], unique=False)
    op.drop_index('ix_audit_event_account_at', table_name='audit_event')
    op.create_index('ix_change_request_status', 'change_request', ['status'], unique=False)
    op.create_index('ix_outbox_account_id', 'outbox', ['account_id'], unique=False)
