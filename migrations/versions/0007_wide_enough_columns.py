"""Columns as wide as what their validators accept.

A case-folded account name can be three times the name's length ("ﬃ" folds to "ffi"), and an
audit entry names the ColdSend workspace by the id its signed link carries (up to 255).

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-29
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('azure_account', schema=None) as batch_op:
        batch_op.alter_column('name_key', existing_type=sa.String(length=64),
                              type_=sa.String(length=192), existing_nullable=False)
    with op.batch_alter_table('audit_entry', schema=None) as batch_op:
        batch_op.alter_column('workspace_id', existing_type=sa.String(length=36),
                              type_=sa.String(length=255), existing_nullable=False)


def downgrade():
    with op.batch_alter_table('audit_entry', schema=None) as batch_op:
        batch_op.alter_column('workspace_id', existing_type=sa.String(length=255),
                              type_=sa.String(length=36), existing_nullable=False)
    with op.batch_alter_table('azure_account', schema=None) as batch_op:
        batch_op.alter_column('name_key', existing_type=sa.String(length=192),
                              type_=sa.String(length=64), existing_nullable=False)
