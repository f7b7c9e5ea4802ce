"""Reminders of a client secret's expiry: the last one sent, so each is sent once.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-30
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('azure_account', schema=None) as batch_op:
        batch_op.add_column(sa.Column('secret_reminded_at_days', sa.Integer(), nullable=True))


def downgrade():
    with op.batch_alter_table('azure_account', schema=None) as batch_op:
        batch_op.drop_column('secret_reminded_at_days')
