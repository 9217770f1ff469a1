"""standing allowances

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02

A product's standing allowance (seats a month, and at most this much more a
month) that requests get without an approver; what it has given each month
(`allowance_use`, one row per product and month, taken by conditional
update); and the account's time zone, where its months start.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0006'
down_revision: str | None = '0005'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('account') as batch:
        batch.add_column(sa.Column('timezone', sa.String(length=64), nullable=False, server_default='UTC'))
    with op.batch_alter_table('product') as batch:
        batch.add_column(sa.Column('allowance_seats', sa.Integer(), nullable=True))
        batch.add_column(sa.Column('allowance_cost', sa.Numeric(precision=12, scale=2), nullable=True))
        batch.create_check_constraint(
            'ck_product_allowance_seats',
            'allowance_seats IS NULL OR (allowance_seats > 0 AND allowance_seats <= 100000)',
        )
        batch.create_check_constraint('ck_product_allowance_cost', 'allowance_cost IS NULL OR allowance_cost >= 0')
    op.create_table(
        'allowance_use',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('product_id', sa.Integer(), nullable=False),
        sa.Column('month', sa.String(length=7), nullable=False),
        sa.Column('seats', sa.Integer(), nullable=False),
        sa.Column('cost', sa.Numeric(precision=12, scale=2), nullable=False),
        sa.CheckConstraint('seats >= 0 AND cost >= 0', name='ck_allowance_use'),
        sa.ForeignKeyConstraint(['product_id'], ['product.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('product_id', 'month', name='uq_allowance_month'),
    )


def downgrade() -> None:
    op.drop_table('allowance_use')
    with op.batch_alter_table('product') as batch:
        batch.drop_constraint('ck_product_allowance_cost', type_='check')
        batch.drop_constraint('ck_product_allowance_seats', type_='check')
        batch.drop_column('allowance_cost')
        batch.drop_column('allowance_seats')
    with op.batch_alter_table('account') as batch:
        batch.drop_column('timezone')
