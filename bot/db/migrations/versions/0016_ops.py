"""operations view: event rows appended in the writers' transactions, the counts they
fold into by city day and area, and the fold version (docs/ops.md)

Revision ID: 0016_ops
Revises: 0001_core
"""

import sqlalchemy as sa
from alembic import op

revision = "0016_ops"
down_revision = "0001_core"
branch_labels = None
depends_on = None

AREA = ("district", "street", "place", "metric")


def upgrade() -> None:
    op.create_table(
        "ops_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("district", sa.String(40), nullable=False),
        sa.Column("street", sa.String(60), nullable=False),
        sa.Column("place", sa.String(40), nullable=False),
        sa.Column("metric", sa.String(40), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ops_events")),
    )
    op.create_table(
        "ops_counts",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("district", sa.String(40), nullable=False),
        sa.Column("street", sa.String(60), nullable=False),
        sa.Column("place", sa.String(40), nullable=False),
        sa.Column("metric", sa.String(40), nullable=False),
        sa.Column("n", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("day", *AREA, name=op.f("pk_ops_counts")),
    )
    op.create_table(
        "ops_state",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ops_state")),
    )
    op.execute("INSERT INTO ops_state (id, version) VALUES (1, 0)")


def downgrade() -> None:
    for table in ("ops_state", "ops_counts", "ops_events"):
        op.drop_table(table)
