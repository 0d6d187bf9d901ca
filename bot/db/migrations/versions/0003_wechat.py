"""wechat channel tables

Revision ID: 0003_wechat
Revises: 0001_core
"""

import sqlalchemy as sa
from alembic import op

revision = "0003_wechat"
down_revision = "0001_core"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "wechat_dedupe",
        sa.Column("key", sa.String(64), nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("reply", sa.LargeBinary(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_wechat_dedupe")),
    )
    op.create_index(op.f("ix_wechat_dedupe_expires_at"), "wechat_dedupe", ["expires_at"])
    op.create_table(
        "wechat_tokens",
        sa.Column("app_id", sa.String(64), nullable=False),
        sa.Column("token", sa.LargeBinary(), nullable=True),
        sa.Column("generation", sa.Integer(), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("lease_owner", sa.String(40), nullable=True),
        sa.PrimaryKeyConstraint("app_id", name=op.f("pk_wechat_tokens")),
    )
    op.create_table(
        "wechat_media",
        sa.Column("digest", sa.String(64), nullable=False),
        sa.Column("media_id", sa.String(200), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("digest", name=op.f("pk_wechat_media")),
    )
    op.create_table(
        "wechat_users",
        sa.Column("user_key", sa.String(160), nullable=False),
        sa.Column("subscribed", sa.Boolean(), nullable=False),
        sa.Column("location_consent", sa.Boolean(), nullable=False),
        sa.Column("last_location", sa.LargeBinary(), nullable=True),
        sa.Column("location_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("user_key", name=op.f("pk_wechat_users")),
    )


def downgrade() -> None:
    op.drop_table("wechat_users")
    op.drop_table("wechat_media")
    op.drop_table("wechat_tokens")
    op.drop_index(op.f("ix_wechat_dedupe_expires_at"), table_name="wechat_dedupe")
    op.drop_table("wechat_dedupe")
