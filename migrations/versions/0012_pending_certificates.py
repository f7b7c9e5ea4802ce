"""Certificates made on the form wait in the database, not in the session.

A session is written back whole at the end of each request, so two requests of one session at
once lost each other's certificates, or brought back one an account had just taken. A row per
certificate, taken by one conditional DELETE, has neither race.

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-30
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'pending_certificate',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('workspace_id', sa.String(length=36), nullable=False),
        sa.Column('account_id', sa.String(length=36), nullable=True),
        sa.Column('thumbprint', sa.String(length=40), nullable=False),
        sa.Column('certificate_pem', sa.Text(), nullable=False),
        sa.Column('private_key_sealed', sa.LargeBinary(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['workspace_id'], ['workspace.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['account_id'], ['azure_account.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('workspace_id', 'thumbprint'),
    )
    with op.batch_alter_table('pending_certificate', schema=None) as batch_op:
        batch_op.create_index('ix_pending_certificate_created_at', ['created_at'], unique=False)


def downgrade():
    with op.batch_alter_table('pending_certificate', schema=None) as batch_op:
        batch_op.drop_index('ix_pending_certificate_created_at')
    op.drop_table('pending_certificate')
