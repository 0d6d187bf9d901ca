"""firm register: the firms expected to resume (the resumption rate's denominator), and
the resumption counters kept as filings change (firm progress, counts by district and
industry, register counts)

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
    op.create_table(
        "firm_progress",
        sa.Column("uscc", sa.String(18), nullable=False),
        sa.Column("district", sa.String(20), nullable=False),
        sa.Column("industry", sa.String(20), nullable=False),
        sa.Column("filed", sa.Boolean(), nullable=False),
        sa.Column("approved", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("uscc", name=op.f("pk_firm_progress")),
    )
    for table, counts in (("resumption_counts", ("filed", "approved")),
                          ("firm_register_counts", ("firms",))):
        op.create_table(
            table,
            sa.Column("district", sa.String(20), nullable=False),
            sa.Column("industry", sa.String(20), nullable=False),
            *(sa.Column(c, sa.Integer(), nullable=False) for c in counts),
            sa.PrimaryKeyConstraint("district", "industry", name=op.f(f"pk_{table}")),
        )
    # Filings made before this revision: each firm as its latest filing places it.
    op.execute("""
        INSERT INTO firm_progress (uscc, district, industry, filed, approved)
        SELECT f.uscc, f.district, f.industry,
               EXISTS (SELECT 1 FROM filings g WHERE g.uscc = f.uscc
                       AND g.state <> 'withdrawn'),
               EXISTS (SELECT 1 FROM filings g WHERE g.uscc = f.uscc
                       AND g.state = 'approved')
        FROM filings f WHERE f.id = (SELECT MAX(id) FROM filings g WHERE g.uscc = f.uscc)""")
    op.execute("""
        INSERT INTO resumption_counts (district, industry, filed, approved)
        SELECT district, industry, SUM(CASE WHEN filed THEN 1 ELSE 0 END),
               SUM(CASE WHEN approved THEN 1 ELSE 0 END)
        FROM firm_progress GROUP BY district, industry""")


def downgrade() -> None:
    op.drop_table("firm_register_counts")
    op.drop_table("resumption_counts")
    op.drop_table("firm_progress")
    op.drop_index("ix_firms_district_industry", table_name="firms")
    op.drop_table("firms")
