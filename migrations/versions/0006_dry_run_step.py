"""Every verification has a dry-run row, as every new one does.

Verifications made before the dry run existed get the row too, as not checked (skipped): it
never was, and a re-check of one still running sets every row back to pending first. Code can
then rely on one row per step for every verification.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-29
"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade():
    op.execute(
        "INSERT INTO step_result (verification_id, step, position, state, facts, updated_at) "
        "SELECT v.id, 'dry-run', 7, 'skipped', '{}', CURRENT_TIMESTAMP "
        "FROM verification v WHERE NOT EXISTS ("
        "SELECT 1 FROM step_result s WHERE s.verification_id = v.id AND s.step = 'dry-run')"
    )


def downgrade():
    op.execute("DELETE FROM step_result WHERE step = 'dry-run'")
