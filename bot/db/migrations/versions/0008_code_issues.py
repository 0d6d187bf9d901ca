"""code issues: the log of issued paper codes (when, subject, channel, actor)

Revision ID: 0008_code_issues
Revises: 0007_trust
"""

import sqlalchemy as sa
from alembic import op

revision = "0008_code_issues"
down_revision = "0007_trust"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "code_issues",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("issued_at", TS, nullable=False),
        sa.Column("subject", sa.String(16), nullable=False),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("actor", sa.String(80), nullable=False),
        sa.Column("code_id", sa.LargeBinary(32), nullable=False),
        sa.Column("expires_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_code_issues")),
    )
    op.create_index(op.f("ix_code_issues_issued_at"), "code_issues", ["issued_at"])
    op.create_index(op.f("ix_code_issues_subject"), "code_issues", ["subject"])


def downgrade() -> None:
    op.drop_index(op.f("ix_code_issues_subject"), table_name="code_issues")
    op.drop_index(op.f("ix_code_issues_issued_at"), table_name="code_issues")
    op.drop_table("code_issues")
