"""status revoked index: the recently revoked statuses (revocation list, verify) by
``health_statuses.revoked_at``

Revision ID: 0011_status_revoked_index
Revises: 0008_code_issues
"""

from alembic import op

revision = "0011_status_revoked_index"
down_revision = "0008_code_issues"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(op.f("ix_health_statuses_revoked_at"), "health_statuses", ["revoked_at"])


def downgrade() -> None:
    op.drop_index(op.f("ix_health_statuses_revoked_at"), table_name="health_statuses")
