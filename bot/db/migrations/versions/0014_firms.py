"""firm register: the firms expected to resume (the resumption rate's denominator), and
an index the resumption statistics group filings by

Revision ID: 0014_firms
Revises: 0013_filings
"""

import sqlalchemy as sa
from alembic import op

revision = "0014_firms"
down_revision = "0013_filings"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "firms",
        sa.Column("uscc", sa.String(18), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("industry", sa.String(20), nullable=False),
        sa.Column("district", sa.String(20), nullable=False),
        sa.Column("imported_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("uscc", name=op.f("pk_firms")),
    )
    op.create_index("ix_firms_district_industry", "firms", ["district", "industry"])


def downgrade() -> None:
    op.drop_index("ix_firms_district_industry", table_name="firms")
    op.drop_table("firms")
