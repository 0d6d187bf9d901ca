"""retention: the log of what retention removed (counts only), legal holds, the progress
of a seal-key rotation, and the unlock row that lets retention delete old staff audit
entries (the append-only trigger now admits a DELETE only inside such a transaction)

Revision ID: 0019_retention
Revises: 0001_core
"""

import sqlalchemy as sa
from alembic import op

revision = "0019_retention"
down_revision = "0001_core"
branch_labels = None
#: staff_audit and its append-only triggers are made by 0012_staff
depends_on = "0012_staff"

TS = sa.DateTime(timezone=True)
UNLOCKED = "EXISTS (SELECT 1 FROM retention_unlock WHERE table_name = 'staff_audit')"


def upgrade() -> None:
    op.create_table(
        "retention_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", TS, nullable=False),
        sa.Column("run", sa.String(32), nullable=False),
        sa.Column("trigger", sa.String(80), nullable=False),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("deleted", sa.Integer(), nullable=False),
        sa.Column("anonymised", sa.Integer(), nullable=False),
        sa.Column("cutoff", TS, nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_retention_log")),
    )
    op.create_index(op.f("ix_retention_log_at"), "retention_log", ["at"])
    op.create_table(
        "legal_holds",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_key", sa.String(160), nullable=False),
        sa.Column("reason", sa.String(300), nullable=False),
        sa.Column("placed_by", sa.String(120), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_legal_holds")),
        sa.UniqueConstraint("user_key", name=op.f("uq_legal_holds_user_key")),
    )
    op.create_table(
        "seal_rotation",
        sa.Column("target", sa.String(8), nullable=False),
        sa.Column("table_name", sa.String(60), nullable=False),
        sa.Column("last_key", sa.String(200), nullable=True),
        sa.Column("done", sa.Boolean(), nullable=False),
        sa.Column("resealed", sa.Integer(), nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("target", "table_name", name=op.f("pk_seal_rotation")),
    )
    op.create_table(
        "retention_unlock",
        sa.Column("table_name", sa.String(60), nullable=False),
        sa.PrimaryKeyConstraint("table_name", name=op.f("pk_retention_unlock")),
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"""
            CREATE FUNCTION tongguan_retention_delete() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                IF {UNLOCKED} THEN RETURN OLD; END IF;
                RAISE EXCEPTION '% is append-only', TG_TABLE_NAME;
            END $$""")
        op.execute("DROP TRIGGER staff_audit_append_only ON staff_audit")
        op.execute("CREATE TRIGGER staff_audit_no_update BEFORE UPDATE ON staff_audit "
                   "FOR EACH ROW EXECUTE FUNCTION tongguan_append_only()")
        op.execute("CREATE TRIGGER staff_audit_no_delete BEFORE DELETE ON staff_audit "
                   "FOR EACH ROW EXECUTE FUNCTION tongguan_retention_delete()")
    else:
        op.execute("DROP TRIGGER staff_audit_no_delete")
        op.execute(f"CREATE TRIGGER staff_audit_no_delete BEFORE DELETE ON staff_audit "
                   f"WHEN NOT {UNLOCKED} "
                   "BEGIN SELECT RAISE(ABORT, 'staff_audit is append-only'); END")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER staff_audit_no_delete ON staff_audit")
        op.execute("DROP TRIGGER staff_audit_no_update ON staff_audit")
        op.execute("CREATE TRIGGER staff_audit_append_only BEFORE UPDATE OR DELETE "
                   "ON staff_audit FOR EACH ROW EXECUTE FUNCTION tongguan_append_only()")
        op.execute("DROP FUNCTION tongguan_retention_delete()")
    else:
        op.execute("DROP TRIGGER staff_audit_no_delete")
        op.execute("CREATE TRIGGER staff_audit_no_delete BEFORE DELETE ON staff_audit "
                   "BEGIN SELECT RAISE(ABORT, 'staff_audit is append-only'); END")
    for table in ("retention_unlock", "seal_rotation", "legal_holds", "retention_log"):
        op.drop_table(table)
