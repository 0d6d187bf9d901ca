"""Tables of the supply reservation engine (products, stores, releases, reservations).

Identity data never sits here in clear: a person is a keyed blind index of the ID
number (``person_key``), names are sealed, pickup codes are kept as a SHA-256 hash
(for lookup) and sealed (so the owner can see the code again).
"""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from bot.db.base import Base, UTCDateTime


class SupplyProduct(Base):
    """A rationed product (``mask-adult``), sold in packs of ``pack_size`` ``unit``."""

    __tablename__ = "supply_products"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(40), unique=True)
    name_zh: Mapped[str] = mapped_column(sa.String(80))
    name_en: Mapped[str] = mapped_column(sa.String(80))
    unit: Mapped[str] = mapped_column(sa.String(20))
    pack_size: Mapped[int] = mapped_column(default=1)


class SupplyStore(Base):
    """A pharmacy that hands out reserved supplies; ``weight`` ~ population served."""

    __tablename__ = "supply_stores"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(40), unique=True)
    name: Mapped[str] = mapped_column(sa.String(120))
    address: Mapped[str] = mapped_column(sa.String(200))
    district: Mapped[str] = mapped_column(sa.String(60), index=True)
    lat: Mapped[float]
    lng: Mapped[float]
    opening_hours: Mapped[str] = mapped_column(sa.String(60), default="")
    weight: Mapped[float] = mapped_column(default=1.0)
    active: Mapped[bool] = mapped_column(default=True)


class SupplyCapacity(Base):
    """Producers' capacity of one product arriving for one city day."""

    __tablename__ = "supply_capacity"
    __table_args__ = (sa.UniqueConstraint("product_id", "day", name="uq_supply_capacity_day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(sa.ForeignKey("supply_products.id"))
    day: Mapped[date]
    quantity: Mapped[int]
    taken_in: Mapped[bool] = mapped_column(default=False)  #: added to stock on hand
    distributed: Mapped[bool] = mapped_column(default=False)  #: releases computed


class SupplyStock(Base):
    """Undistributed stock on hand of one product (the carry-over ledger)."""

    __tablename__ = "supply_stock"

    product_id: Mapped[int] = mapped_column(sa.ForeignKey("supply_products.id"),
                                            primary_key=True)
    on_hand: Mapped[int] = mapped_column(default=0)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class SupplyRelease(Base):
    """What one store may hand out of one product on one city day.

    Conservation: ``released = active + redeemed + expired + remaining`` (the first
    three summed over the release's reservations).
    """

    __tablename__ = "supply_releases"
    __table_args__ = (
        sa.UniqueConstraint("store_id", "product_id", "day", name="uq_supply_releases_slot"),
        sa.CheckConstraint("remaining >= 0", name="remaining_nonneg"),
        sa.CheckConstraint("remaining <= released", name="remaining_le_released"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int] = mapped_column(sa.ForeignKey("supply_stores.id"))
    product_id: Mapped[int] = mapped_column(sa.ForeignKey("supply_products.id"))
    day: Mapped[date] = mapped_column(index=True)
    released: Mapped[int]
    remaining: Mapped[int]
    priority_left: Mapped[int] = mapped_column(default=0)  #: of remaining, kept for priority
    carried_out: Mapped[int] = mapped_column(default=0)  #: unclaimed units moved forward
    manual: Mapped[bool] = mapped_column(default=False)
    drawn: Mapped[bool] = mapped_column(default=False)  #: lottery draw done
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class SupplyQuota(Base):
    """A rolling allowance: units one person (or, for ``hh:`` subjects, persons one
    household) took of a product in the window counted from ``since``.

    One row per subject and product: the hold's conditional upsert starts a new window
    (``period`` = ``since`` = the day, ``used`` = what it takes) once ``since`` is
    ``limit_days`` behind, and otherwise adds within the limit. A pickup moves ``since``
    to the pickup day (the next window counts from it); ``period`` changes only when a
    new window starts, so a cancelled hold gives its units back only to the window it
    counted in (``period`` on or before the hold's day).
    """

    __tablename__ = "supply_quotas"
    __table_args__ = (sa.UniqueConstraint("subject", "product_id", name="uq_supply_quotas_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    subject: Mapped[str] = mapped_column(sa.String(80))
    product_id: Mapped[int] = mapped_column(sa.ForeignKey("supply_products.id"))
    period: Mapped[date]  #: the day the current window started
    since: Mapped[date]  #: the window counts from here: its start, or the last pickup
    used: Mapped[int] = mapped_column(default=0)


class SupplyHousehold(Base):
    """A person counted in a household's current window (the household limit).

    ``account_key`` is the household: the resident register's household of the person
    when the register lists them, else the reserving chat identity's account key (the
    one ID bound to it plus its dependants). ``period``: the day the person was counted;
    they count again once the household's window started after it.
    """

    __tablename__ = "supply_households"
    __table_args__ = (sa.UniqueConstraint("account_key", "product_id", "person_key",
                                          name="uq_supply_households_member"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    account_key: Mapped[str] = mapped_column(sa.String(64))
    product_id: Mapped[int] = mapped_column(sa.ForeignKey("supply_products.id"))
    period: Mapped[date]
    person_key: Mapped[str] = mapped_column(sa.String(64))


class SupplyReservation(Base):
    """A hold of ``quantity`` units for one person, redeemable once with a pickup code."""

    __tablename__ = "supply_reservations"
    __table_args__ = (sa.Index("ix_supply_reservations_due", "status", "window_end"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(sa.String(32), unique=True)
    release_id: Mapped[int] = mapped_column(sa.ForeignKey("supply_releases.id"), index=True)
    person_key: Mapped[str] = mapped_column(sa.String(64), index=True)
    account_key: Mapped[str] = mapped_column(sa.String(64), index=True)
    channel: Mapped[str] = mapped_column(sa.String(20))
    user_id: Mapped[str] = mapped_column(sa.String(140))
    quantity: Mapped[int]
    period: Mapped[date]  #: the city day of the hold (its quota window began by then)
    name_sealed: Mapped[bytes] = mapped_column(sa.LargeBinary)
    code_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    code_sealed: Mapped[bytes] = mapped_column(sa.LargeBinary)
    status: Mapped[str] = mapped_column(sa.String(12), default="active")
    window_start: Mapped[datetime] = mapped_column(UTCDateTime)
    window_end: Mapped[datetime] = mapped_column(UTCDateTime)
    reminded: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  #: redeemed/cancelled/expired
    redeemed_by: Mapped[int | None] = mapped_column(sa.ForeignKey("staff_accounts.id"))


class SupplyRegistration(Base):
    """A lottery entry for one release; ``public_id`` is what the published draw lists."""

    __tablename__ = "supply_registrations"
    __table_args__ = (sa.UniqueConstraint("person_key", "product_id", "day",
                                          name="uq_supply_registrations_person"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(sa.String(32), unique=True)
    release_id: Mapped[int] = mapped_column(sa.ForeignKey("supply_releases.id"), index=True)
    product_id: Mapped[int] = mapped_column(sa.ForeignKey("supply_products.id"))
    day: Mapped[date]
    person_key: Mapped[str] = mapped_column(sa.String(64))
    account_key: Mapped[str] = mapped_column(sa.String(64))
    channel: Mapped[str] = mapped_column(sa.String(20))
    user_id: Mapped[str] = mapped_column(sa.String(140))
    quantity: Mapped[int]
    name_sealed: Mapped[bytes] = mapped_column(sa.LargeBinary)
    status: Mapped[str] = mapped_column(sa.String(12), default="registered")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class SupplyDraw(Base):
    """A recorded lottery draw: anyone can re-run ``seed`` over ``entries``."""

    __tablename__ = "supply_draws"

    id: Mapped[int] = mapped_column(primary_key=True)
    release_id: Mapped[int] = mapped_column(sa.ForeignKey("supply_releases.id"), unique=True)
    seed: Mapped[str] = mapped_column(sa.String(64))
    supply: Mapped[int]
    entries: Mapped[list] = mapped_column(sa.JSON)  #: [[public_id, quantity], ...] sorted
    winners: Mapped[list] = mapped_column(sa.JSON)  #: [public_id, ...] in draw order
    drawn_at: Mapped[datetime] = mapped_column(UTCDateTime)


class SupplyIdempotency(Base):
    """The stored answer to an API request carrying an ``Idempotency-Key``."""

    __tablename__ = "supply_idempotency"

    id: Mapped[int] = mapped_column(primary_key=True)
    key_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    body_hash: Mapped[str] = mapped_column(sa.String(64))
    status: Mapped[int]
    response: Mapped[dict] = mapped_column(sa.JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class SupplyPriority(Base):
    """A person (blind index) in a priority group kept by the admin, e.g. ``medical``."""

    __tablename__ = "supply_priority"
    __table_args__ = (sa.UniqueConstraint("person_key", "group", name="uq_supply_priority_member"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    person_key: Mapped[str] = mapped_column(sa.String(64))
    group: Mapped[str] = mapped_column(sa.String(30))
