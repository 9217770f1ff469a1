"""reclaimable seats

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02

When each agent last worked in the product, where a usage export says so, and
how long an account lets an agent be idle before their seat is offered back
ahead of buying more.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.types

revision: str = '0007'
down_revision: str | None = '0006'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('seat_assignment') as batch:
        batch.add_column(sa.Column('last_active_at', storage.types.UTCDateTime(timezone=True), nullable=True))
    with op.batch_alter_table('account') as batch:
        batch.add_column(sa.Column('idle_after_s', sa.Integer(), nullable=False, server_default=str(30 * 24 * 3600)))
        batch.create_check_constraint('ck_account_idle_after', 'idle_after_s > 0')


def downgrade() -> None:
    with op.batch_alter_table('account') as batch:
        batch.drop_constraint('ck_account_idle_after', type_='check')
        batch.drop_column('idle_after_s')
    with op.batch_alter_table('seat_assignment') as batch:
        batch.drop_column('last_active_at')
