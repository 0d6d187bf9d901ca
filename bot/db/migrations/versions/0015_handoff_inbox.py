"""handoff inbox: a request's state (open, claimed, closed), who claimed and closed it,
since when the resident waits, the resident's language and district, and the thread of
messages between the resident and staff (sealed)

Revision ID: 0015_handoff_inbox
Revises: 0001_core
"""

import sqlalchemy as sa
from alembic import op

revision = "0015_handoff_inbox"
down_revision = "0001_core"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("handoffs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("lang", sa.String(8), nullable=False,
                                      server_default="zh"))
        batch_op.add_column(sa.Column("district", sa.String(40), nullable=True))
        batch_op.add_column(sa.Column("waiting_since", sa.DateTime(timezone=True),
                                      nullable=True))
        batch_op.add_column(sa.Column("claimed_by", sa.String(80), nullable=True))
        batch_op.add_column(sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("closed_by", sa.String(80), nullable=True))
        batch_op.add_column(sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index("ix_handoffs_status_id", ["status", "id"])
    op.execute("UPDATE handoffs SET waiting_since = created_at WHERE status = 'open'")
    op.create_table(
        "handoff_messages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("handoff_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("author", sa.String(80), nullable=False),
        sa.Column("body", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(["handoff_id"], ["handoffs.id"], ondelete="CASCADE",
                                name=op.f("fk_handoff_messages_handoff_id_handoffs")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_handoff_messages")),
    )
    op.create_index("ix_handoff_messages_handoff_id_id", "handoff_messages",
                    ["handoff_id", "id"])


def downgrade() -> None:
    op.drop_index("ix_handoff_messages_handoff_id_id", table_name="handoff_messages")
    op.drop_table("handoff_messages")
    with op.batch_alter_table("handoffs", schema=None) as batch_op:
        batch_op.drop_index("ix_handoffs_status_id")
        for name in ("closed_at", "closed_by", "claimed_at", "claimed_by", "waiting_since",
                     "district", "lang"):
            batch_op.drop_column(name)
