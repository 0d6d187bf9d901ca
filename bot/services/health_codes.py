"""The codes of a health status: live codes signed on the fly, paper codes issued and logged.

**Live codes** (the refreshing code page) are never stored: :func:`live_code` signs one per
time slot of half the live lifetime (setting ``codes.live_seconds``, default 180 s), so a
code always has between half and all of its life left when served, and the page fetches
the next slot's code before the current one ends. A GET of the page therefore writes
nothing. The code id (``cti``) of a slot is derived, not random — an HMAC (the service's
blind-index key) of the status id and the slot number — so when a status is revoked the
revocation list can still name every live code it may have shown
(:func:`revoked_live_code_ids`) without a row per code. A code is signed only after the
status is read again as active while the subject is held as a reader (see
:func:`live_code`), so none escapes a revocation that happens meanwhile.

**Paper codes** (printable, ``codes.paper_hours``, default 24 h) are stored (their ids are
revoked with their status) and issued only by a POST: :func:`issue_paper_code` checks the
per-subject limit (``codes.paper_per_day`` for the resident's own page; a community
worker's CLI is not limited) and writes the code and a :class:`~bot.db.models.CodeIssue`
row — when, pseudonymous subject, channel, actor — in one transaction.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

import sqlalchemy as sa

import codes
from bot.db.models.codes_log import CodeIssue
from bot.db.models.declarations import HealthCode, HealthDeclaration, HealthStatus, HealthSubject
from bot.services.declarations.store import revoked_code_ids
from bot.services.ops.counters import PAPER_CODES, Tally, count
from codes.claims import from_epoch

if TYPE_CHECKING:
    from bot.config import Settings
    from bot.services.declarations.service import Declarations

log = logging.getLogger("tongguan.codes")

LIVE_ID_PURPOSE = "live-code-id"  #: blind-index kind of derived live code ids
LIVE_ID_BYTES = 8
PAPER_WINDOW = timedelta(hours=24)  #: the "per day" of ``codes.paper_per_day``
#: Channels whose paper codes count toward a subject's daily limit (a resident's own);
#: ``cli`` and ``staff`` (community workers) are logged but not limited.
LIMITED_CHANNELS = ("resident", "chat")
MIN_CODE_LIFE = timedelta(seconds=60)
_CACHE_MAX = 10_000


class CodeCaches:
    """Per-process memory (``hub.parts``): live codes signed this slot, proxy flags."""

    def __init__(self) -> None:
        self.live: dict[tuple[int, int, int], LiveCode] = {}
        self.proxy: dict[int, bool] = {}


def _caches(svc: Declarations) -> CodeCaches:
    return svc.hub.parts.setdefault(CodeCaches, CodeCaches)


@dataclass(frozen=True)
class LiveCode:
    """A live code as served: text, id, times, and when the next slot's code is ready."""

    text: str
    code_id: bytes
    issued_at: datetime
    expires_at: datetime
    refresh_at: datetime  #: the next slot starts: fetch then (always before ``expires_at``)


class PaperLimitReached(Exception):
    """The subject has had its paper codes for today; try again at ``until``."""

    def __init__(self, until: datetime, retry_after: int) -> None:
        super().__init__(f"paper-code limit reached; again after {until.isoformat()}")
        self.until = until
        self.retry_after = retry_after


class StatusNotActive(Exception):
    """The status was revoked (or expired) meanwhile: no code is issued for it."""


def live_ttl(settings: Settings) -> timedelta:
    return timedelta(seconds=settings.codes.live_seconds)


def paper_ttl(settings: Settings) -> timedelta:
    return timedelta(hours=settings.codes.paper_hours)


def _step(ttl: timedelta) -> int:
    """Slot length in seconds: half the live lifetime."""
    return max(1, int(ttl.total_seconds()) // 2)


def live_code_id(svc: Declarations, status_id: int, slot: int) -> bytes:
    """The code id of ``status_id``'s live code in ``slot`` (keyed: not guessable)."""
    digest = svc.hub.sealer.blind_index(LIVE_ID_PURPOSE, f"{status_id}:{slot}")
    return bytes.fromhex(digest)[:LIVE_ID_BYTES]


async def is_proxy(svc: Declarations, status: HealthStatus) -> bool:
    """Whether the status comes from a declaration made by proxy (代报)."""
    marked = getattr(status, "proxy", None)  # if statuses ever carry the flag themselves
    if marked is not None:
        return bool(marked)
    if status.declaration_id is None:
        return False
    cache = _caches(svc).proxy
    found = cache.get(status.id)
    if found is None:
        async with svc.hub.db.sessions() as session:
            found = bool(await session.scalar(sa.select(HealthDeclaration.proxy).where(
                HealthDeclaration.id == status.declaration_id)))
        if len(cache) >= _CACHE_MAX:
            cache.clear()
        cache[status.id] = found
    return found


#: the subject held as a reader while a live code is signed: waits for a revocation in
#: flight (its writers lock the subject row, a list import the whole table) and holds the
#: next one off until the code is signed (PostgreSQL; on SQLite every transaction begins
#: with ``BEGIN IMMEDIATE``, which does the same)
SUBJECT_READER = (sa.select(HealthSubject.id)
                  .where(HealthSubject.subject == sa.bindparam("subject"))
                  .with_for_update(read=True, key_share=True))
#: read after the hold, in a statement of its own (a fresh snapshot on PostgreSQL)
STATUS_NOW = sa.select(HealthStatus.active, HealthStatus.valid_until).where(
    HealthStatus.id == sa.bindparam("id"))


async def live_code(svc: Declarations, status: HealthStatus) -> LiveCode:
    """The live code of an active status for the current slot; writes nothing.

    The first request in a slot signs the code (issue time = that moment); later requests
    to this process in the same slot get the same text. Before signing, the status is
    read again while its subject is held as a reader: a revocation either finished before
    (no code) or begins after the code is signed, so its ``revoked_at`` (read after the
    subject's lock, see :func:`~bot.services.declarations.store.revoke_subject`) lies in
    the code's slot or later, and :func:`revoked_live_code_ids` names the code.

    Raises:
        StatusNotActive: the status was revoked (or has expired) meanwhile.
    """
    ttl = live_ttl(svc.hub.settings)
    step, seconds = _step(ttl), int(ttl.total_seconds())
    cache = _caches(svc).live
    hit = cache.get((status.id, int(svc.hub.clock.now().timestamp()) // step, seconds))
    if hit is not None:
        return hit  # signed under the hold earlier in this slot
    proxy = await is_proxy(svc, status)
    async with svc.hub.db.sessions() as session:
        await session.execute(SUBJECT_READER, {"subject": status.subject})
        current = (await session.execute(STATUS_NOW, {"id": status.id})).first()
        now = svc.hub.clock.now()  # after the hold, which may have waited
        if current is None or not current.active or current.valid_until <= now:
            raise StatusNotActive(status.subject)
        epoch = int(now.timestamp())
        slot = epoch // step
        expires = max(min(slot * step + seconds, int(status.valid_until.timestamp())),
                      epoch + 1)
        code_id = live_code_id(svc, status.id, slot)
        text = codes.issue_code(
            key=svc.signing.store.active_signer(), subject=status.subject, color=status.color,
            masked_name=status.masked_name or "*", kind="live",
            ttl=timedelta(seconds=expires - epoch), at=from_epoch(epoch),
            rules_version=status.rules_version, code_id=code_id, proxy=proxy)
    code = LiveCode(text=text, code_id=code_id, issued_at=from_epoch(epoch),
                    expires_at=from_epoch(expires), refresh_at=from_epoch((slot + 1) * step))
    if len(cache) >= _CACHE_MAX:
        cache.clear()
    cache[(status.id, slot, seconds)] = code
    return code


async def revoked_live_code_ids(svc: Declarations) -> list[bytes]:
    """Derived ids of live codes that revoked statuses may have shown and that could still
    pass the expiry check (issued before the revocation, not yet past exp + leeway)."""
    now = svc.hub.clock.now()
    ttl = live_ttl(svc.hub.settings)
    step, seconds = _step(ttl), int(ttl.total_seconds())
    leeway = int(codes.CLOCK_SKEW_LEEWAY.total_seconds())
    since = now - ttl - codes.CLOCK_SKEW_LEEWAY
    async with svc.hub.db.sessions() as session:
        rows = (await session.execute(
            sa.select(HealthStatus.id, HealthStatus.issued_at, HealthStatus.revoked_at)
            .where(HealthStatus.revoked_at.is_not(None), HealthStatus.revoked_at > since))).all()
    oldest_slot = (int(now.timestamp()) - seconds - leeway) // step
    ids = []
    for status_id, issued_at, revoked_at in rows:
        first = max(int(issued_at.timestamp()) // step, oldest_slot)
        assert revoked_at is not None  # the query keeps revoked statuses only
        last = int(revoked_at.timestamp()) // step
        ids += [live_code_id(svc, status_id, slot) for slot in range(first, last + 1)]
    return ids


async def all_revoked_code_ids(svc: Declarations) -> list[bytes]:
    """Stored revoked codes (paper, and any stored live ones) and derived live codes."""
    return [*await revoked_code_ids(svc), *await revoked_live_code_ids(svc)]


async def issue_paper_code(svc: Declarations, status: HealthStatus, *, channel: str,
                           actor: str, limit: int | None,
                           ttl: timedelta | None = None) -> HealthCode:
    """Sign, store and log a paper code for an active status.

    Args:
        channel: ``resident`` (the code page's POST), ``chat``, ``cli``, ``staff``.
        actor: who asked (``resident``, a CLI user name); no identity data of the subject.
        limit: paper codes allowed per subject per 24 hours over :data:`LIMITED_CHANNELS`
            (``None``: not limited, for community workers).
        ttl: lifetime (default: the ``codes.paper_hours`` setting); never beyond the status.

    Raises:
        PaperLimitReached: the limit is used up (``retry_after`` seconds to wait).
        StatusNotActive: the status was revoked or has expired.
    """
    hub = svc.hub
    now = hub.clock.now().replace(microsecond=0)  # the code's times are whole seconds
    ttl = paper_ttl(hub.settings) if ttl is None else ttl
    ttl = min(ttl, codes.MAX_TTL, max(status.valid_until - now, MIN_CODE_LIFE))
    ttl = timedelta(seconds=int(ttl.total_seconds()))
    async with hub.db.write() as session:
        # One issuer at a time per subject (PostgreSQL; SQLite's BEGIN IMMEDIATE already is).
        await session.execute(sa.select(HealthSubject.id)
                              .where(HealthSubject.subject == status.subject).with_for_update())
        current = await session.scalar(sa.select(HealthStatus.active)
                                       .where(HealthStatus.id == status.id))
        if not current or status.valid_until <= now:
            raise StatusNotActive(status.subject)
        if limit is not None:
            times = list((await session.scalars(
                sa.select(CodeIssue.issued_at)
                .where(CodeIssue.subject == status.subject,
                       CodeIssue.channel.in_(LIMITED_CHANNELS),
                       CodeIssue.issued_at > now - PAPER_WINDOW)
                .order_by(CodeIssue.issued_at.desc()))).all())
            if len(times) >= limit:
                until = times[limit - 1] + PAPER_WINDOW
                raise PaperLimitReached(until, max(1, math.ceil((until - now).total_seconds())))
        proxy = await is_proxy(svc, status)
        code_id = codes.new_code_id()
        text = codes.issue_code(
            key=svc.signing.store.active_signer(), subject=status.subject, color=status.color,
            masked_name=status.masked_name or "*", kind="paper", ttl=ttl, at=now,
            rules_version=status.rules_version, code_id=code_id, proxy=proxy)
        row = HealthCode(status_id=status.id, code_id=code_id, kind="paper", text=text,
                         issued_at=now, expires_at=now + ttl, revoked=False)
        session.add(row)
        session.add(CodeIssue(issued_at=now, subject=status.subject, kind="paper",
                              channel=channel, actor=actor[:80], code_id=code_id,
                              expires_at=now + ttl))
        await count(session, now, Tally(PAPER_CODES))
    log.info("codes.paper.issued subject=%s channel=%s actor=%s expires=%s", status.subject,
             channel, actor[:80], (now + ttl).isoformat())
    return row


async def latest_paper_code(svc: Declarations, status: HealthStatus) -> HealthCode | None:
    """The newest unexpired, unrevoked paper code of a status (a read; issues nothing)."""
    async with svc.hub.db.sessions() as session:
        return await session.scalar(
            sa.select(HealthCode).where(HealthCode.status_id == status.id,
                                        HealthCode.kind == "paper",
                                        HealthCode.revoked.is_(False),
                                        HealthCode.expires_at > svc.hub.clock.now())
            .order_by(HealthCode.id.desc()).limit(1))


async def active_status_of(svc: Declarations, subject: str) -> HealthStatus | None:
    """The subject's active, unexpired status, if any."""
    async with svc.hub.db.sessions() as session:
        return await session.scalar(
            sa.select(HealthStatus).where(HealthStatus.subject == subject,
                                          HealthStatus.active.is_(True),
                                          HealthStatus.valid_until > svc.hub.clock.now())
            .order_by(HealthStatus.id.desc()).limit(1))


async def code_issues(svc: Declarations, subject: str | None = None,
                      limit: int = 100) -> list[CodeIssue]:
    """The paper-code issue log, newest first (of one subject, or all)."""
    query = sa.select(CodeIssue).order_by(CodeIssue.id.desc()).limit(limit)
    if subject is not None:
        query = query.where(CodeIssue.subject == subject)
    async with svc.hub.db.sessions() as session:
        return list((await session.scalars(query)).all())


__all__ = ["LIMITED_CHANNELS", "LiveCode", "PaperLimitReached", "StatusNotActive",
           "active_status_of", "all_revoked_code_ids", "code_issues", "is_proxy",
           "issue_paper_code", "latest_paper_code", "live_code", "live_code_id", "live_ttl",
           "paper_ttl", "revoked_live_code_ids"]
