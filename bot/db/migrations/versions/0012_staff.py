"""staff accounts: one login for every staff page (roles, district and store scope),
their sessions and the append-only staff audit log; the store staff accounts of
``supply_staff`` move in (same ids, role ``store_staff``) and that table goes

Revision ID: 0012_staff
Revises: 0010_supply_rolling
"""

import sqlalchemy as sa
from alembic import op

revision = "0012_staff"
down_revision = "0010_supply_rolling"
branch_labels = None
#: the append-only trigger function (PostgreSQL) is made by 0007_trust
depends_on = "0007_trust"

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "staff_accounts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(60), nullable=False),
        sa.Column("password_hash", sa.String(200), nullable=False),
        sa.Column("role", sa.String(40), nullable=False),
        sa.Column("district", sa.String(40), nullable=True),
        sa.Column("store", sa.String(40), nullable=True),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("disabled_at", TS, nullable=True),
        sa.Column("failed_logins", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("locked_until", TS, nullable=True),
        sa.Column("failed_lookups", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("failed_since", TS, nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_staff_accounts")),
        sa.UniqueConstraint("username", name=op.f("uq_staff_accounts_username")),
    )
    op.create_table(
        "staff_sessions",
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("expires_at", TS, nullable=False),
        sa.ForeignKeyConstraint(["account_id"], ["staff_accounts.id"],
                                name=op.f("fk_staff_sessions_account_id_staff_accounts"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("token_hash", name=op.f("pk_staff_sessions")),
    )
    op.create_index(op.f("ix_staff_sessions_account_id"), "staff_sessions", ["account_id"])
    op.create_table(
        "staff_audit",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", TS, nullable=False),
        sa.Column("actor", sa.String(80), nullable=False),
        sa.Column("action", sa.String(60), nullable=False),
        sa.Column("object", sa.String(120), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_staff_audit")),
    )
    op.create_index("ix_staff_audit_actor_id", "staff_audit", ["actor", "id"])

    # Store staff become accounts of role store_staff, keeping their ids (reservations
    # name the account that redeemed them) and passwords (the same scrypt format).
    op.execute("""
        INSERT INTO staff_accounts (id, username, password_hash, role, store, created_at,
                                    failed_logins, failed_lookups, failed_since)
        SELECT s.id, s.username, s.password_hash, 'store_staff', st.code, s.created_at, 0,
               s.failed_lookups, s.failed_since
        FROM supply_staff s JOIN supply_stores st ON st.id = s.store_id""")
    postgres = op.get_bind().dialect.name == "postgresql"
    if postgres:
        op.execute("SELECT setval(pg_get_serial_sequence('staff_accounts', 'id'), "
                   "COALESCE((SELECT MAX(id) FROM staff_accounts), 0) + 1, false)")
    with op.batch_alter_table("supply_reservations") as batch:
        batch.drop_constraint("fk_supply_reservations_redeemed_by_supply_staff",
                              type_="foreignkey")
        batch.create_foreign_key(op.f("fk_supply_reservations_redeemed_by_staff_accounts"),
                                 "staff_accounts", ["redeemed_by"], ["id"])
    op.drop_table("supply_staff_sessions")
    op.drop_table("supply_staff")

    if postgres:  # tongguan_append_only() comes from 0007_trust
        op.execute("CREATE TRIGGER staff_audit_append_only BEFORE UPDATE OR DELETE "
                   "ON staff_audit FOR EACH ROW EXECUTE FUNCTION tongguan_append_only()")
        op.execute("CREATE TRIGGER staff_audit_no_truncate BEFORE TRUNCATE "
                   "ON staff_audit FOR EACH STATEMENT EXECUTE FUNCTION tongguan_append_only()")
    else:
        for event in ("UPDATE", "DELETE"):
            op.execute(f"CREATE TRIGGER staff_audit_no_{event.lower()} BEFORE {event} "
                       "ON staff_audit BEGIN SELECT RAISE(ABORT, 'staff_audit is append-only'); "
                       "END")


def downgrade() -> None:
    op.create_table(
        "supply_staff",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("store_id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(60), nullable=False),
        sa.Column("password_hash", sa.String(200), nullable=False),
        sa.Column("failed_lookups", sa.Integer(), nullable=False),
        sa.Column("failed_since", TS, nullable=True),
        sa.Column("created_at", TS, nullable=False),
        sa.ForeignKeyConstraint(["store_id"], ["supply_stores.id"],
                                name=op.f("fk_supply_staff_store_id_supply_stores")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_supply_staff")),
        sa.UniqueConstraint("username", name=op.f("uq_supply_staff_username")),
    )
    op.execute("""
        INSERT INTO supply_staff (id, store_id, username, password_hash, failed_lookups,
                                  failed_since, created_at)
        SELECT a.id, st.id, a.username, a.password_hash, a.failed_lookups, a.failed_since,
               a.created_at
        FROM staff_accounts a JOIN supply_stores st ON st.code = a.store
        WHERE a.role = 'store_staff'""")
    op.execute("UPDATE supply_reservations SET redeemed_by = NULL WHERE redeemed_by NOT IN "
               "(SELECT id FROM supply_staff)")
    with op.batch_alter_table("supply_reservations") as batch:
        batch.drop_constraint("fk_supply_reservations_redeemed_by_staff_accounts",
                              type_="foreignkey")
        batch.create_foreign_key(op.f("fk_supply_reservations_redeemed_by_supply_staff"),
                                 "supply_staff", ["redeemed_by"], ["id"])
    op.create_table(
        "supply_staff_sessions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("staff_id", sa.Integer(), nullable=False),
        sa.Column("expires_at", TS, nullable=False),
        sa.ForeignKeyConstraint(["staff_id"], ["supply_staff.id"],
                                name=op.f("fk_supply_staff_sessions_staff_id_supply_staff"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_supply_staff_sessions")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_supply_staff_sessions_token_hash")),
    )
    op.drop_table("staff_audit")
    op.drop_table("staff_sessions")
    op.drop_table("staff_accounts")
