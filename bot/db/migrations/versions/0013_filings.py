"""business-resumption filings: filings, their flags, append-only history, notice numbers

Revision ID: 0013_filings
Revises: 0001_core
"""

import sqlalchemy as sa
from alembic import op

revision = "0013_filings"
down_revision = "0001_core"
branch_labels = None
#: 0007 creates the trigger function tongguan_append_only() (PostgreSQL) used below
depends_on = "0007_trust"

TS = sa.DateTime(timezone=True)
APPEND_ONLY = ("filing_history",)


def upgrade() -> None:
    op.create_table(
        "filings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("uscc", sa.String(18), nullable=False),
        sa.Column("open_uscc", sa.String(18), nullable=True),
        sa.Column("user_key", sa.String(160), nullable=False),
        sa.Column("lang", sa.String(2), nullable=False),
        sa.Column("state", sa.String(12), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("firm_name", sa.String(100), nullable=False),
        sa.Column("industry", sa.String(20), nullable=False),
        sa.Column("district", sa.String(20), nullable=False),
        sa.Column("street", sa.String(60), nullable=False),
        sa.Column("address", sa.String(200), nullable=False),
        sa.Column("private", sa.LargeBinary(), nullable=False),
        sa.Column("staff_total", sa.Integer(), nullable=False),
        sa.Column("staff_returning", sa.Integer(), nullable=False),
        sa.Column("staff_risk_14d", sa.Integer(), nullable=False),
        sa.Column("isolation_rooms", sa.Integer(), nullable=False),
        sa.Column("capacity_percent", sa.Integer(), nullable=False),
        sa.Column("planned_start", sa.Date(), nullable=False),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.Column("flags", sa.JSON(), nullable=False),
        sa.Column("notice_no", sa.String(40), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_filings")),
        sa.UniqueConstraint("open_uscc", name=op.f("uq_filings_open_uscc")),
        sa.UniqueConstraint("notice_no", name=op.f("uq_filings_notice_no")),
    )
    op.create_index(op.f("ix_filings_uscc"), "filings", ["uscc"])
    op.create_index(op.f("ix_filings_user_key"), "filings", ["user_key"])
    op.create_index("ix_filings_district_state_id", "filings", ["district", "state", "id"])
    op.create_index("ix_filings_state_id", "filings", ["state", "id"])
    op.create_table(
        "filing_flags",
        sa.Column("filing_id", sa.Integer(), nullable=False),
        sa.Column("flag", sa.String(40), nullable=False),
        sa.PrimaryKeyConstraint("filing_id", "flag", name=op.f("pk_filing_flags")),
    )
    op.create_index(op.f("ix_filing_flags_flag"), "filing_flags", ["flag"])
    op.create_table(
        "filing_history",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("filing_id", sa.Integer(), nullable=False),
        sa.Column("at", TS, nullable=False),
        sa.Column("state", sa.String(12), nullable=False),
        sa.Column("actor", sa.String(120), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_filing_history")),
    )
    op.create_index(op.f("ix_filing_history_filing_id"), "filing_history", ["filing_id"])
    op.create_table(
        "filing_notice_seq",
        sa.Column("district", sa.String(20), nullable=False),
        sa.Column("last", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("district", name=op.f("pk_filing_notice_seq")),
    )
    # Append-only history: refuse UPDATE and DELETE (and TRUNCATE) in the database itself.
    if op.get_bind().dialect.name == "postgresql":
        for table in APPEND_ONLY:
            op.execute(f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE "
                       f"ON {table} FOR EACH ROW EXECUTE FUNCTION tongguan_append_only()")
            op.execute(f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE "
                       f"ON {table} FOR EACH STATEMENT EXECUTE FUNCTION tongguan_append_only()")
    else:
        for table in APPEND_ONLY:
            for event in ("UPDATE", "DELETE"):
                op.execute(f"CREATE TRIGGER {table}_no_{event.lower()} BEFORE {event} "
                           f"ON {table} BEGIN SELECT RAISE(ABORT, '{table} is append-only'); "
                           "END")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in APPEND_ONLY:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
            op.execute(f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}")
    for table in ("filing_notice_seq", "filing_history", "filing_flags", "filings"):
        op.drop_table(table)
