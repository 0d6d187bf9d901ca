"""chat roles: staff roles held by chat identities (flow audiences)

Revision ID: 0009_chat_roles
Revises: 0001_core
"""

import sqlalchemy as sa
from alembic import op

revision = "0009_chat_roles"
down_revision = "0001_core"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "chat_roles",
        sa.Column("user_key", sa.String(160), nullable=False),
        sa.Column("role", sa.String(40), nullable=False),
        sa.Column("granted_by", sa.String(120), nullable=False),
        sa.Column("granted_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("user_key", "role", name=op.f("pk_chat_roles")),
    )


def downgrade() -> None:
    op.drop_table("chat_roles")
