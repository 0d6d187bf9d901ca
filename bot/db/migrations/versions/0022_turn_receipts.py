"""turn receipts and recoverable WeChat claims: a turn run for a channel's message id
saves a receipt (its replies, sealed) with the turn, and an action writing on its own
saves its outcome with its writes, so a message taken over after its process died is
answered from them instead of being run twice; a WeChat claim keeps the message
(sealed) until it is settled, so a turn cut off after its callback was answered
`success` can still be run (docs/deployment.md, "What we tested")

Revision ID: 0022_turn_receipts
Revises: 0003_wechat
"""

import sqlalchemy as sa
from alembic import op

revision = "0022_turn_receipts"
down_revision = "0003_wechat"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "turn_receipts",
        sa.Column("key", sa.String(200), nullable=False),
        sa.Column("sealed", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_turn_receipts")),
    )
    op.create_index(op.f("ix_turn_receipts_created_at"), "turn_receipts", ["created_at"])
    with op.batch_alter_table("wechat_dedupe") as batch:
        batch.add_column(sa.Column("inbound", sa.LargeBinary(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("wechat_dedupe") as batch:
        batch.drop_column("inbound")
    op.drop_index(op.f("ix_turn_receipts_created_at"), table_name="turn_receipts")
    op.drop_table("turn_receipts")
