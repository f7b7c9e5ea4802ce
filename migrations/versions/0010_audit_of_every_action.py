"""The audit log records every action on an account, by whoever acted.

It held only the API's credential reads, by token name; it now also holds creation, changes,
replaced secrets and verifications, by customer, schedule or support. The token names become
"api:<name>", and entries are found by account.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-30
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('audit_entry', schema=None) as batch_op:
        batch_op.alter_column('token_name', new_column_name='actor',
                              existing_type=sa.String(length=64), existing_nullable=False)
        batch_op.create_index('ix_audit_entry_account_id', ['account_id'])
    op.execute("UPDATE audit_entry SET actor = 'api:' || actor")


def downgrade():
    op.execute("UPDATE audit_entry SET actor = substr(actor, 5) WHERE actor LIKE 'api:%'")
    with op.batch_alter_table('audit_entry', schema=None) as batch_op:
        batch_op.drop_index('ix_audit_entry_account_id')
        batch_op.alter_column('actor', new_column_name='token_name',
                              existing_type=sa.String(length=64), existing_nullable=False)
