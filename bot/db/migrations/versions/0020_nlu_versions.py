"""NLU editing: every saved version of the intent set (docs/nlu.md)

Revision ID: 0020_nlu_versions
Revises: 0001_core
"""

import sqlalchemy as sa
from alembic import op

revision = "0020_nlu_versions"
down_revision = "0001_core"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "nlu_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("yaml", sa.Text(), nullable=False),
        sa.Column("author", sa.String(80), nullable=False),
        sa.Column("note", sa.String(500), nullable=False),
        sa.Column("intents", sa.Integer(), nullable=False),
        sa.Column("examples", sa.Integer(), nullable=False),
        sa.Column("saved_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_nlu_versions")),
        sa.UniqueConstraint("version", name=op.f("uq_nlu_versions_version")),
    )


def downgrade() -> None:
    op.drop_table("nlu_versions")
