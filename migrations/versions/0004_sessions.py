"""Server-side sessions, found by the hash of their token.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('stored_session',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('data', sa.JSON(), nullable=False),
    sa.Column('expires_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_stored_session'))
    )
    with op.batch_alter_table('stored_session', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_stored_session_expires_at'), ['expires_at'], unique=False)



def downgrade():
    with op.batch_alter_table('stored_session', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_stored_session_expires_at'))

    op.drop_table('stored_session')
