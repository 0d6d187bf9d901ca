"""flow studio: every published version of every flow (docs/flows-studio.md)

Revision ID: 0017_flow_versions
Revises: 0001_core
"""

import sqlalchemy as sa
from alembic import op

revision = "0017_flow_versions"
down_revision = "0001_core"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "flow_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(80), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("yaml", sa.Text(), nullable=False),
        sa.Column("author", sa.String(80), nullable=False),
        sa.Column("note", sa.String(500), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("rollback_of", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_flow_versions")),
        sa.UniqueConstraint("name", "version", name=op.f("uq_flow_versions_name")),
    )


def downgrade() -> None:
    op.drop_table("flow_versions")
