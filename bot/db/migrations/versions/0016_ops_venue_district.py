"""operations view: a check-in venue's district, so check-ins count by district
(docs/ops.md); existing venues keep none ("")

Revision ID: 0016_ops_venue_district
Revises: 0016_ops
"""

import sqlalchemy as sa
from alembic import op

revision = "0016_ops_venue_district"
down_revision = "0016_ops"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("checkin_venues") as batch:
        batch.add_column(sa.Column("district", sa.String(40), nullable=False,
                                   server_default=""))


def downgrade() -> None:
    with op.batch_alter_table("checkin_venues") as batch:
        batch.drop_column("district")
