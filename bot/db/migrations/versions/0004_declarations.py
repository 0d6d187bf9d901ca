"""health declarations, statuses, codes, check-in venues and check-ins

Revision ID: 0004_declarations
Revises: 0001_core
"""

import sqlalchemy as sa
from alembic import op

revision = "0004_declarations"
down_revision = "0001_core"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "health_subjects",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("subject", sa.String(16), nullable=False),
        sa.Column("id_index", sa.String(64), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_health_subjects")),
        sa.UniqueConstraint("subject", name=op.f("uq_health_subjects_subject")),
        sa.UniqueConstraint("id_index", name=op.f("uq_health_subjects_id_index")),
    )
    op.create_table(
        "health_declarations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("subject", sa.String(16), nullable=False),
        sa.Column("user_key", sa.String(160), nullable=False),
        sa.Column("proxy", sa.Boolean(), nullable=False),
        sa.Column("name", sa.LargeBinary(), nullable=False),
        sa.Column("id_number", sa.LargeBinary(), nullable=False),
        sa.Column("phone", sa.LargeBinary(), nullable=True),
        sa.Column("answers", sa.LargeBinary(), nullable=False),
        sa.Column("color", sa.String(8), nullable=False),
        sa.Column("rules_version", sa.String(16), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_health_declarations")),
    )
    op.create_index(op.f("ix_health_declarations_subject"), "health_declarations", ["subject"])
    op.create_index(op.f("ix_health_declarations_user_key"), "health_declarations",
                    ["user_key"])
    op.create_table(
        "health_statuses",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("subject", sa.String(16), nullable=False),
        sa.Column("owner_key", sa.String(160), nullable=False),
        sa.Column("declaration_id", sa.Integer(), nullable=True),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("color", sa.String(8), nullable=False),
        sa.Column("reasons", sa.JSON(), nullable=False),
        sa.Column("masked_name", sa.String(32), nullable=False),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("rules_version", sa.String(16), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("issued_at", TS, nullable=False),
        sa.Column("valid_until", TS, nullable=False),
        sa.Column("revoked_at", TS, nullable=True),
        sa.ForeignKeyConstraint(["declaration_id"], ["health_declarations.id"],
                                name=op.f("fk_health_statuses_declaration_id_health_declarations"),
                                ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_health_statuses")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_health_statuses_token_hash")),
    )
    for col in ("subject", "owner_key", "active"):
        op.create_index(op.f(f"ix_health_statuses_{col}"), "health_statuses", [col])
    op.create_table(
        "health_codes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("status_id", sa.Integer(), nullable=False),
        sa.Column("code_id", sa.LargeBinary(32), nullable=False),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("issued_at", TS, nullable=False),
        sa.Column("expires_at", TS, nullable=False),
        sa.Column("revoked", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["status_id"], ["health_statuses.id"],
                                name=op.f("fk_health_codes_status_id_health_statuses"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_health_codes")),
        sa.UniqueConstraint("code_id", name=op.f("uq_health_codes_code_id")),
    )
    for col in ("status_id", "expires_at", "revoked"):
        op.create_index(op.f(f"ix_health_codes_{col}"), "health_codes", [col])
    op.create_table(
        "checkin_venues",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(40), nullable=False),
        sa.Column("name", sa.String(120), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_checkin_venues")),
        sa.UniqueConstraint("code", name=op.f("uq_checkin_venues_code")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_checkin_venues_token_hash")),
    )
    op.create_table(
        "checkins",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("venue_id", sa.Integer(), nullable=False),
        sa.Column("subject", sa.String(64), nullable=False),
        sa.Column("scanned_at", TS, nullable=False),
        sa.ForeignKeyConstraint(["venue_id"], ["checkin_venues.id"],
                                name=op.f("fk_checkins_venue_id_checkin_venues"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_checkins")),
    )
    for col in ("venue_id", "subject", "scanned_at"):
        op.create_index(op.f(f"ix_checkins_{col}"), "checkins", [col])


def downgrade() -> None:
    for table in ("checkins", "checkin_venues", "health_codes", "health_statuses",
                  "health_declarations", "health_subjects"):
        op.drop_table(table)
