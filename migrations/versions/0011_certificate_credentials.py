"""An account proves itself with a client secret or with a certificate the portal made.

The sealed column now holds either the secret or the certificate's private key, so it is named
for both; the public certificate, when there is one, is kept beside it in the clear.

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-30
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('azure_account', schema=None) as batch_op:
        batch_op.alter_column('client_secret_sealed', new_column_name='credential_sealed',
                              existing_type=sa.LargeBinary(), existing_nullable=False)
        batch_op.add_column(sa.Column('client_certificate_pem', sa.Text(), nullable=True))


def downgrade():
    # A certificate account has no secret to go back to: refuse rather than lose it.
    count = op.get_bind().scalar(
        sa.text("SELECT count(*) FROM azure_account WHERE client_certificate_pem IS NOT NULL")
    )
    if count:
        raise RuntimeError(
            f"{count} account(s) sign in with a certificate, which revision 0010 cannot hold: "
            "switch them to a client secret first."
        )
    with op.batch_alter_table('azure_account', schema=None) as batch_op:
        batch_op.drop_column('client_certificate_pem')
        batch_op.alter_column('credential_sealed', new_column_name='client_secret_sealed',
                              existing_type=sa.LargeBinary(), existing_nullable=False)
