"""chat roles: a grant may be scoped to a district (a community worker's screening
form then answers the district itself; docs/ops.md); existing grants keep none

Revision ID: 0021_chat_role_district
Revises: 0009_chat_roles
"""

import sqlalchemy as sa
from alembic import op

revision = "0021_chat_role_district"
down_revision = "0009_chat_roles"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("chat_roles") as batch:
        batch.add_column(sa.Column("district", sa.String(40), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("chat_roles") as batch:
        batch.drop_column("district")
