"""Re-checks of a verification while a newly assigned role propagates.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('verification', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('attempt', sa.Integer(), nullable=False, server_default=sa.text('0'))
        )
        batch_op.add_column(sa.Column('recheck_at', sa.DateTime(), nullable=True))



def downgrade():
    with op.batch_alter_table('verification', schema=None) as batch_op:
        batch_op.drop_column('recheck_at')
        batch_op.drop_column('attempt')

