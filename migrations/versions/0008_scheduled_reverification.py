"""Scheduled re-verification: when each account is checked next, and who started a check.

Accounts that have passed before are given their place in the daily schedule now, each at its
own offset in the day (portal/schedule.py), so that they do not all start in the same minute.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-30
"""
import hashlib
from datetime import datetime, timedelta, UTC

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('azure_account', schema=None) as batch_op:
        batch_op.add_column(sa.Column('next_check_at', sa.DateTime(), nullable=True))
        batch_op.create_index('ix_azure_account_next_check_at', ['next_check_at'])
    with op.batch_alter_table('verification', schema=None) as batch_op:
        batch_op.add_column(sa.Column('started_by', sa.String(length=16), nullable=False,
                                      server_default='customer'))
    connection = op.get_bind()
    passed = connection.execute(sa.text(
        "SELECT DISTINCT account_id FROM verification WHERE state = 'passed'"
    )).scalars().all()
    now = datetime.now(UTC).replace(tzinfo=None)
    for account_id in passed:
        connection.execute(
            sa.text("UPDATE azure_account SET next_check_at = :at WHERE id = :id"),
            {"at": next_check(account_id, timedelta(days=1), now), "id": account_id},
        )


def next_check(account_id, period, after):
    """portal/schedule.py's rule as it was written: a migration keeps its own copy."""
    digest = hashlib.sha256(account_id.encode()).digest()
    start = datetime(2000, 1, 1) + timedelta(
        seconds=int.from_bytes(digest[:8]) % int(period.total_seconds())
    )
    return start + ((after - start) // period + 1) * period


def downgrade():
    with op.batch_alter_table('verification', schema=None) as batch_op:
        batch_op.drop_column('started_by')
    with op.batch_alter_table('azure_account', schema=None) as batch_op:
        batch_op.drop_index('ix_azure_account_next_check_at')
        batch_op.drop_column('next_check_at')
