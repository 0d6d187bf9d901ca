"""health-status trust: identity binding, dependants, official statuses, resident register,
append-only status and binding audit logs

Revision ID: 0007_trust
Revises: 0004_declarations
"""

import sqlalchemy as sa
from alembic import op

revision = "0007_trust"
down_revision = "0004_declarations"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)
#: tables whose rows are never changed or removed once written
APPEND_ONLY = ("status_audit", "binding_audit", "official_statuses")


def upgrade() -> None:
    op.add_column("health_subjects", sa.Column("bound_key", sa.String(160), nullable=True))
    op.add_column("health_subjects", sa.Column("bound_at", TS, nullable=True))
    op.create_index(op.f("ix_health_subjects_bound_key"), "health_subjects", ["bound_key"])
    # Existing people: bound to the identity that first declared "for myself".
    op.execute("""
        UPDATE health_subjects SET
            bound_key = (SELECT d.user_key FROM health_declarations d
                         WHERE d.subject = health_subjects.subject AND NOT d.proxy
                         ORDER BY d.id LIMIT 1),
            bound_at = (SELECT d.created_at FROM health_declarations d
                        WHERE d.subject = health_subjects.subject AND NOT d.proxy
                        ORDER BY d.id LIMIT 1)""")
    op.add_column("health_statuses", sa.Column("proxy", sa.Boolean(), nullable=False,
                                               server_default=sa.false()))
    op.create_table(
        "official_statuses",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("id_index", sa.String(64), nullable=False),
        sa.Column("color", sa.String(8), nullable=False),
        sa.Column("reasons", sa.JSON(), nullable=False),
        sa.Column("fingerprint", sa.String(16), nullable=False),
        sa.Column("valid_from", TS, nullable=False),
        sa.Column("valid_until", TS, nullable=False),
        sa.Column("batch", sa.String(24), nullable=True),
        sa.Column("actor", sa.String(120), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_official_statuses")),
    )
    op.create_index("ix_official_statuses_id_index_id", "official_statuses", ["id_index", "id"])
    op.create_index(op.f("ix_official_statuses_batch"), "official_statuses", ["batch"])
    op.create_table(
        "status_audit",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", TS, nullable=False),
        sa.Column("subject", sa.String(16), nullable=False),
        sa.Column("old_color", sa.String(8), nullable=True),
        sa.Column("new_color", sa.String(8), nullable=False),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("batch", sa.String(24), nullable=True),
        sa.Column("actor", sa.String(160), nullable=False),
        sa.Column("reasons", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_status_audit")),
    )
    op.create_index(op.f("ix_status_audit_subject"), "status_audit", ["subject"])
    op.create_table(
        "binding_audit",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", TS, nullable=False),
        sa.Column("subject", sa.String(16), nullable=False),
        sa.Column("old_key", sa.String(160), nullable=True),
        sa.Column("new_key", sa.String(160), nullable=False),
        sa.Column("actor", sa.String(160), nullable=False),
        sa.Column("reason", sa.String(300), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_binding_audit")),
    )
    op.create_index(op.f("ix_binding_audit_subject"), "binding_audit", ["subject"])
    op.create_table(
        "health_dependants",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("owner_key", sa.String(160), nullable=False),
        sa.Column("subject", sa.String(16), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_health_dependants")),
        sa.UniqueConstraint("owner_key", "subject", name=op.f("uq_health_dependants_owner_key")),
    )
    op.create_index(op.f("ix_health_dependants_owner_key"), "health_dependants", ["owner_key"])
    op.create_index(op.f("ix_health_dependants_subject"), "health_dependants", ["subject"])
    op.create_table(
        "residents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("id_index", sa.String(64), nullable=False),
        sa.Column("name", sa.LargeBinary(), nullable=False),
        sa.Column("district", sa.String(60), nullable=False),
        sa.Column("street", sa.String(60), nullable=False),
        sa.Column("building", sa.LargeBinary(), nullable=False),
        sa.Column("household", sa.String(64), nullable=False),
        sa.Column("imported_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_residents")),
        sa.UniqueConstraint("id_index", name=op.f("uq_residents_id_index")),
    )
    op.create_index(op.f("ix_residents_household"), "residents", ["household"])
    # Append-only: refuse UPDATE and DELETE in the database itself.
    if op.get_bind().dialect.name == "postgresql":
        op.execute("""
            CREATE FUNCTION tongguan_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                RAISE EXCEPTION '% is append-only', TG_TABLE_NAME;
            END $$""")
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
        op.execute("DROP FUNCTION IF EXISTS tongguan_append_only()")
    for table in ("residents", "health_dependants", "binding_audit", "status_audit",
                  "official_statuses"):
        op.drop_table(table)
    op.drop_column("health_statuses", "proxy")
    op.drop_index(op.f("ix_health_subjects_bound_key"), "health_subjects")
    op.drop_column("health_subjects", "bound_at")
    op.drop_column("health_subjects", "bound_key")
