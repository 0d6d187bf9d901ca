"""id blocks: SQLite's stand-in for sequences (ids handed out before the row is written)

Revision ID: 0006_id_blocks
Revises: 0001_core
"""

import sqlalchemy as sa
from alembic import op

revision = "0006_id_blocks"
down_revision = "0001_core"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('id_blocks',
    sa.Column('name', sa.String(length=80), nullable=False),
    sa.Column('next_id', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_id_blocks'))
    )


def downgrade() -> None:
    op.drop_table('id_blocks')
