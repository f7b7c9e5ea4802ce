"""Verifications, their step results, and when an account's checked values last changed.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('verification',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('account_id', sa.String(length=36), nullable=False),
    sa.Column('state', sa.Enum('running', 'passed', 'failed', 'error', name='verificationstate', native_enum=False, length=16), nullable=False),
    sa.Column('running', sa.Boolean(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('finished_at', sa.DateTime(), nullable=True),
    sa.Column('deadline_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['azure_account.id'], name=op.f('fk_verification_account_id_azure_account'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_verification')),
    sa.UniqueConstraint('account_id', 'running', name=op.f('uq_verification_account_id_running'))
    )
    op.create_table('step_result',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('verification_id', sa.String(length=36), nullable=False),
    sa.Column('step', sa.Enum('tenant-id', 'client-id', 'client-secret', 'permissions', 'subscription-id', 'communication-provider', name='step', native_enum=False, length=32), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('state', sa.Enum('pending', 'running', 'waiting', 'passed', 'failed', 'warning', 'skipped', 'error', name='stepstate', native_enum=False, length=16), nullable=False),
    sa.Column('code', sa.String(length=128), nullable=True),
    sa.Column('azure_message', sa.Text(), nullable=True),
    sa.Column('facts', sa.JSON(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['verification_id'], ['verification.id'], name=op.f('fk_step_result_verification_id_verification'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_step_result')),
    sa.UniqueConstraint('verification_id', 'step', name=op.f('uq_step_result_verification_id_step'))
    )
    with op.batch_alter_table('azure_account', schema=None) as batch_op:
        # Existing accounts count as changed now: no verification speaks for them yet.
        batch_op.add_column(
            sa.Column(
                'credentials_changed_at',
                sa.DateTime(),
                nullable=False,
                server_default=sa.text('CURRENT_TIMESTAMP'),
            )
        )



def downgrade():
    with op.batch_alter_table('azure_account', schema=None) as batch_op:
        batch_op.drop_column('credentials_changed_at')

    op.drop_table('step_result')
    op.drop_table('verification')
