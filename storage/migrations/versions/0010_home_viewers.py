"""home viewers

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02

Who has opened seatbot's App Home in each workspace: after a change, only their
homes are redrawn (anyone else's is drawn the first time they open it).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.types

revision: str = '0010'
down_revision: str | None = '0009'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'home_viewer',
        sa.Column('team_id', sa.String(length=32), nullable=False),
        sa.Column('user_id', sa.String(length=32), nullable=False),
        sa.Column('first_opened_at', storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('team_id', 'user_id'),
    )


def downgrade() -> None:
    op.drop_table('home_viewer')
