"""deactivated holders

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02

When Slack said a seat's holder was deactivated (a `user_change` event, or the
directory read by `/seats reclaim`), so that every approval card and alert can
count that seat among those to free before buying more, without asking Slack.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.types

revision: str = '0009'
down_revision: str | None = '0008'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('seat_assignment') as batch:
        batch.add_column(sa.Column('deactivated_at', storage.types.UTCDateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('seat_assignment') as batch:
        batch.drop_column('deactivated_at')
