"""supply limits in rolling windows: one quota row per subject and product (``since``:
the window counts from its start or the last pickup), household members per household

Revision ID: 0010_supply_rolling
Revises: 0005_reservations
"""

import sqlalchemy as sa
from alembic import op

revision = "0010_supply_rolling"
down_revision = "0005_reservations"
branch_labels = None
#: the hold statement reads the binding (health_subjects, health_dependants) and the
#: resident register (residents): their tables come first
depends_on = "0007_trust"


def upgrade() -> None:
    op.add_column("supply_quotas", sa.Column("since", sa.Date(), nullable=True))
    # Only the newest window of each subject and product is kept (older ones are over).
    op.execute("""
        DELETE FROM supply_quotas WHERE EXISTS (
            SELECT 1 FROM supply_quotas n WHERE n.subject = supply_quotas.subject
            AND n.product_id = supply_quotas.product_id AND n.period > supply_quotas.period)""")
    # A person's window counts from their last reservation in it (the calendar period's
    # start when there is none); account counters become household counters.
    op.execute("""
        UPDATE supply_quotas SET since = COALESCE((
            SELECT MAX(r.day) FROM supply_reservations s
            JOIN supply_releases r ON r.id = s.release_id
            WHERE s.person_key = supply_quotas.subject
              AND r.product_id = supply_quotas.product_id
              AND s.period = supply_quotas.period AND s.status <> 'cancelled'), period)""")
    op.execute("UPDATE supply_quotas SET subject = 'hh:' || substr(subject, 6) "
               "WHERE subject LIKE 'acct:%'")
    with op.batch_alter_table("supply_quotas") as batch:
        batch.alter_column("since", existing_type=sa.Date(), nullable=False)
        batch.drop_constraint("uq_supply_quotas_key", type_="unique")
        batch.create_unique_constraint("uq_supply_quotas_key", ["subject", "product_id"])

    op.execute("""
        DELETE FROM supply_households WHERE EXISTS (
            SELECT 1 FROM supply_households n WHERE n.account_key = supply_households.account_key
            AND n.product_id = supply_households.product_id
            AND n.person_key = supply_households.person_key
            AND n.period > supply_households.period)""")
    with op.batch_alter_table("supply_households") as batch:
        batch.drop_constraint("uq_supply_households_member", type_="unique")
        batch.create_unique_constraint("uq_supply_households_member",
                                       ["account_key", "product_id", "person_key"])
    # A reservation's period is now its own day (a cancel gives back to that window).
    op.execute("""
        UPDATE supply_reservations SET period = (
            SELECT r.day FROM supply_releases r WHERE r.id = supply_reservations.release_id)""")


def downgrade() -> None:
    # Rolling windows cannot become calendar periods again: each kept window stays as is.
    with op.batch_alter_table("supply_households") as batch:
        batch.drop_constraint("uq_supply_households_member", type_="unique")
        batch.create_unique_constraint("uq_supply_households_member",
                                       ["account_key", "product_id", "period", "person_key"])
    op.execute("UPDATE supply_quotas SET subject = 'acct:' || substr(subject, 4) "
               "WHERE subject LIKE 'hh:%'")
    with op.batch_alter_table("supply_quotas") as batch:
        batch.drop_constraint("uq_supply_quotas_key", type_="unique")
        batch.create_unique_constraint("uq_supply_quotas_key",
                                       ["subject", "product_id", "period"])
        batch.drop_column("since")
