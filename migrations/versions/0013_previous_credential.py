"""A replaced secret or certificate that last passed is kept until its replacement passes.

Replacing a working credential switched at once, so a certificate saved before it was uploaded
(or a mistyped secret) broke an account that worked, with no way back but Azure's. The one it
replaced now waits, sealed as it was, and one click goes back to it.

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-30
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('azure_account', schema=None) as batch_op:
        batch_op.add_column(sa.Column('previous_credential_sealed', sa.LargeBinary(), nullable=True))
        batch_op.add_column(sa.Column('previous_certificate_pem', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('previous_expires_on', sa.Date(), nullable=True))


def downgrade():
    with op.batch_alter_table('azure_account', schema=None) as batch_op:
        batch_op.drop_column('previous_expires_on')
        batch_op.drop_column('previous_certificate_pem')
        batch_op.drop_column('previous_credential_sealed')
