"""Check-in mode (contact tracing) for venues that opt in.

Ordinary checkpoint scans are never recorded. An opted-in venue's device sends each valid
scan with the venue token: scan time, venue and the pseudonymous subject are kept for
``RETENTION`` and then deleted by :func:`sweep_checkins`.
"""

from __future__ import annotations

import logging
import re
import secrets
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from bot.db.database import affected_rows
from bot.db.models.declarations import Checkin, CheckinVenue
from bot.privacy import token_hash
from bot.services.declarations.service import Declarations
from bot.services.ops.counters import CHECKINS, Tally, count
from bot.services.ops.geo import districts

log = logging.getLogger("tongguan.declarations")

RETENTION = timedelta(days=21)
VENUE_CODE = re.compile(r"^[a-z0-9][a-z0-9_-]{1,39}$")


class VenueError(ValueError):
    """A bad venue code or name, or a code already taken."""


async def add_venue(svc: Declarations, code: str, name: str, district: str = "") -> str:
    """Opt a venue in; returns its device token (shown once, only its hash is kept).
    ``district`` (a code of the operations map, or blank) is where its check-ins count.

    Raises:
        VenueError: bad code / name / district, or the code exists.
    """
    if not VENUE_CODE.match(code) or not 1 <= len(name.strip()) <= 120:
        raise VenueError("venue code: 2-40 of a-z 0-9 _ -; name: 1-120 characters")
    if district and district not in {d.code for d in districts()}:
        raise VenueError(f"district: one of {', '.join(d.code for d in districts())}")
    token = secrets.token_urlsafe(24)
    try:
        async with svc.hub.db.sessions.begin() as session:
            session.add(CheckinVenue(code=code, name=name.strip(), token_hash=token_hash(token),
                                     district=district, created_at=svc.hub.clock.now()))
    except IntegrityError as err:
        raise VenueError(f"venue {code!r} exists") from err
    return token


async def venue_for(svc: Declarations, token: str) -> CheckinVenue | None:
    if not token or len(token) > 100:
        return None
    async with svc.hub.db.sessions() as session:
        return await session.scalar(sa.select(CheckinVenue)
                                    .where(CheckinVenue.token_hash == token_hash(token)))


async def record_checkin(svc: Declarations, venue: CheckinVenue, subject: str,
                         at: datetime) -> None:
    async with svc.hub.db.sessions.begin() as session:
        session.add(Checkin(venue_id=venue.id, subject=subject[:64], scanned_at=at))
        await count(session, at, Tally(CHECKINS, district=venue.district, place=venue.code))


async def sweep_checkins(svc: Declarations, *, now: datetime | None = None) -> int:
    """Delete check-ins older than :data:`RETENTION`; returns how many."""
    cutoff = (now or svc.hub.clock.now()) - RETENTION
    async with svc.hub.db.sessions.begin() as session:
        result = await session.execute(sa.delete(Checkin).where(Checkin.scanned_at < cutoff))
    count = affected_rows(result)
    log.info("declarations.checkins.swept deleted=%d", count)
    return count
