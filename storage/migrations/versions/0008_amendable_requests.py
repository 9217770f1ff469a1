"""amendable requests

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02

A pending request's version, raised by each amendment of its requester, so that
a decision taken on an older version is refused.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0008'
down_revision: str | None = '0007'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('change_request') as batch:
        batch.add_column(sa.Column('version', sa.Integer(), nullable=False, server_default='1'))


def downgrade() -> None:
    with op.batch_alter_table('change_request') as batch:
        batch.drop_column('version')
