"""Official statuses: set by a health officer for one person, or for a whole list.

An official status is kept per ID number (its blind index) in the append-only
``official_statuses``; the newest one of an ID still in force comes before the risk
rules (:func:`~bot.services.declarations.trust.decide`). A list may name people who never
declared: their status is *pending* and applies when they first declare.

:func:`import_statuses` is set-based: the rows go into a temporary staging table in one
bulk statement (``COPY`` on PostgreSQL), and every step after that — matching, the
idempotence check, revoking codes, new statuses, the audit log, chat notices through the
outbox — is one SQL statement over the whole list, in one transaction. What differs between
databases is in the service's repository (:mod:`.repository`).
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import logging
import secrets
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.base import Base, UTCDateTime
from bot.db.database import affected_rows
from bot.db.models import OutboxMessage
from bot.db.models.declarations import HealthCode, HealthStatus, HealthSubject
from bot.db.models.trust import OfficialStatus, StatusAudit
from bot.messages import Reply
from bot.services.declarations.identity import id_problem
from bot.services.declarations.repository import DeclarationsRepository
from bot.services.declarations.service import Declarations
from bot.services.declarations.store import AuditEntry, lock_subject, new_status
from bot.services.declarations.texts import list_notice
from bot.services.ops.counters import count, status_tallies

log = logging.getLogger("tongguan.declarations")

DEFAULT_LIST_HOURS = 14 * 24  #: a case / close-contact list lasts 14 days unless told
MAX_HOURS = 60 * 24
MAX_ERRORS = 20  #: errors kept (with line numbers) for the report
#: the tables a list import reads and writes, typed as the tables they are
SUBJECTS: sa.Table = Base.metadata.tables[HealthSubject.__tablename__]
STATUSES: sa.Table = Base.metadata.tables[HealthStatus.__tablename__]
CODES: sa.Table = Base.metadata.tables[HealthCode.__tablename__]
OFFICIALS: sa.Table = Base.metadata.tables[OfficialStatus.__tablename__]


class StatusListError(ValueError):
    """A bad argument of a list import (colour, reasons, hours) or an unreadable file."""


def fingerprint(color: str, reasons: list[dict[str, str]]) -> str:
    """Colour and reasons, hashed: the same list row applied twice is recognised."""
    text = json.dumps([color, reasons], ensure_ascii=False, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def split_key(key: str | None) -> tuple[str, str] | None:
    """``channel:user_id`` → (channel, user_id) for the outbox."""
    if not key or ":" not in key:
        return None
    channel, user_id = key.split(":", 1)
    return (channel, user_id) if channel and user_id else None


def _contact(svc: Declarations) -> tuple[str, str]:
    cfg = svc.hub.settings.declarations
    return cfg.contact_zh, cfg.contact_en


# -- one person ---------------------------------------------------------------------------
async def set_status(svc: Declarations, *, subject: str, color: str, reason_zh: str,
                     reason_en: str, hours: int | None = None,
                     actor: str = "admin-api") -> tuple[HealthStatus, int]:
    """A health officer sets a subject's colour (an official status, over the rules);
    earlier codes are revoked and the bound resident is told. Returns (status, revoked).

    Raises:
        LookupError: no such subject.
    """
    hub = svc.hub
    now = hub.clock.now()
    until = now + timedelta(hours=hours or svc.rules.status_hours)
    reasons = [{"zh": reason_zh, "en": reason_en}]
    async with hub.db.write() as session:
        row = await lock_subject(session, subject)
        if row is None:
            raise LookupError(subject)
        previous = await session.scalar(sa.select(HealthStatus).where(
            HealthStatus.subject == subject).order_by(HealthStatus.id.desc()).limit(1))
        session.add(OfficialStatus(id_index=row.id_index, color=color, reasons=reasons,
                                   fingerprint=fingerprint(color, reasons), valid_from=now,
                                   valid_until=until, batch=None, actor=actor[:120],
                                   created_at=now))
        status, _token, revoked = await new_status(
            svc, subject=subject, color=color, reasons=reasons, source="official",
            owner_key=row.bound_key or (previous.owner_key if previous else ""),
            masked_name=previous.masked_name if previous else "*",
            rules_version=svc.rules.version, valid_until=until,
            declaration_id=previous.declaration_id if previous else None,
            proxy=bool(previous.proxy) if previous else False,
            audit=AuditEntry("official", actor), session=session, locked=True)
        to = split_key(row.bound_key) or split_key(previous.owner_key if previous else None)
        if to is not None:
            text = list_notice(color, reasons, until, _contact(svc),
                               proxy=row.bound_key is None)
            await hub.outbox.enqueue(channel=to[0], user_id=to[1], replies=[Reply.say(text)],
                                     dedupe_key=f"status:{status.id}", session=session)
    log.info("declarations.status_set color=%s revoked=%d actor=%s", color, revoked, actor)
    return status, revoked


# -- a list -------------------------------------------------------------------------------
@dataclass
class ListRow:
    line: int
    id_index: str


@dataclass
class ImportReport:
    """What a list import found and did (a dry run does everything, then rolls back)."""

    rows: int = 0  #: data rows read
    matched: int = 0  #: valid IDs of people known here (they have declared)
    unknown: int = 0  #: valid IDs nobody declared yet: kept as pending official statuses
    invalid: int = 0
    duplicates: int = 0  #: an ID listed again (the first line counts)
    unchanged: int = 0  #: already had this official status in force: nothing to do
    revoked_statuses: int = 0
    revoked_codes: int = 0
    notices: int = 0  #: chat notices queued
    errors: list[tuple[int, str]] = field(default_factory=list)  #: (line, problem), first few
    batch: str | None = None
    applied: bool = False
    dry_run: bool = False

    def as_json(self) -> dict[str, object]:
        return {"batch": self.batch, "applied": self.applied, "dry_run": self.dry_run,
                "rows": self.rows, "matched": self.matched, "unknown": self.unknown,
                "invalid": self.invalid, "duplicates": self.duplicates,
                "unchanged": self.unchanged, "revoked_statuses": self.revoked_statuses,
                "revoked_codes": self.revoked_codes, "notices": self.notices,
                "errors": [{"line": n, "problem": p} for n, p in self.errors]}


def read_text(path: Path) -> str:
    """A list file as text: UTF-8 (with or without BOM), else GB 18030 (Excel in China)."""
    try:
        data = path.read_bytes()
    except OSError as err:
        raise StatusListError(f"{path}: cannot read ({err.strerror})") from err
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise StatusListError(f"{path}: neither UTF-8 nor GB 18030 text")


def parse_list(svc: Declarations, text: str, report: ImportReport) -> list[ListRow]:
    """Rows of ``ID number[,name]`` (an optional header line is skipped); problems go to
    ``report`` by line number, never repeating the ID."""
    rows: list[ListRow] = []
    seen: set[str] = set()
    index = svc.hub.sealer.blind_index
    for number, cells in enumerate(csv.reader(io.StringIO(text)), start=1):
        if not cells or not "".join(cells).strip():
            continue
        first = cells[0].strip()
        if number == 1 and first and not first[:1].isdigit():
            continue  # a header
        report.rows += 1
        value, problem = id_problem(first)
        if value is None:
            report.invalid += 1
            if len(report.errors) < MAX_ERRORS:
                report.errors.append((number, problem or "bad ID number"))
            continue
        if len(cells) > 1 and len(cells[1].strip()) > 60:
            report.invalid += 1
            if len(report.errors) < MAX_ERRORS:
                report.errors.append((number, "name longer than 60 characters"))
            continue
        key = index("id_number", value)
        if key in seen:
            report.duplicates += 1
            continue
        seen.add(key)
        rows.append(ListRow(number, key))
    return rows


def _check_args(color: str, reason_zh: str, reason_en: str, hours: int | None) -> None:
    if color not in ("red", "yellow"):
        raise StatusListError("--color must be red or yellow")
    for flag, text in (("--reason-zh", reason_zh), ("--reason-en", reason_en)):
        if not 2 <= len(text.strip()) <= 200:
            raise StatusListError(f"{flag}: 2-200 characters (shown to the resident)")
    if hours is not None and not 1 <= hours <= MAX_HOURS:
        raise StatusListError(f"--hours must be 1-{MAX_HOURS}")


async def import_statuses(svc: Declarations, text: str, *, color: str, reason_zh: str,
                          reason_en: str, hours: int | None = None, dry_run: bool = False,
                          actor: str) -> ImportReport:
    """Apply an official status list: every row or none.

    A list with an invalid row changes nothing (the report names the lines). Otherwise,
    in one transaction: people already holding this very official status are skipped
    (so the same file twice changes nothing); for the others an official status is
    recorded; known people get a new status in that colour (their codes revoked, the
    change audited, a chat notice queued to the bound resident, or to the proxy who
    declared for an unbound one); unknown IDs stay pending until they first declare.
    ``dry_run`` does it all and rolls back.

    Raises:
        StatusListError: a bad colour, reason or hours.
    """
    _check_args(color, reason_zh, reason_en, hours)
    report = ImportReport(dry_run=dry_run)
    rows = parse_list(svc, text, report)
    if report.invalid or not rows:
        return report
    hub = svc.hub
    now = hub.clock.now()
    until = now + timedelta(hours=hours or DEFAULT_LIST_HOURS)
    reasons = [{"zh": reason_zh.strip(), "en": reason_en.strip()}]
    batch = f"{now:%Y%m%d}-{secrets.token_hex(4)}"
    params = _Params(color=color, reasons=reasons, fp=fingerprint(color, reasons), now=now,
                     until=until, batch=batch, actor=actor[:120],
                     rules_version=svc.rules.version)
    notices = (list_notice(color, reasons, until, _contact(svc), proxy=False),
               list_notice(color, reasons, until, _contact(svc), proxy=True))
    report.batch = batch
    try:
        async with hub.db.write() as session:
            if not dry_run:
                await svc.repo.hold_subjects(session)  # nobody declares past a list
            stage = await _stage(session, svc.repo, rows, params)
            report.matched, report.unknown, report.unchanged = await _counts(session, stage)
            if dry_run:
                raise _RollBack
            await _apply(session, svc, stage, params, report, notices)
    except _RollBack:
        return report
    report.applied = True
    log.info("declarations.list_imported batch=%s color=%s matched=%d unknown=%d "
             "unchanged=%d revoked_codes=%d notices=%d actor=%s", batch, color,
             report.matched, report.unknown, report.unchanged, report.revoked_codes,
             report.notices, actor)
    return report


class _RollBack(Exception):
    """Leaves the dry run's transaction, rolling it back."""


@dataclass(frozen=True)
class _Params:
    color: str
    reasons: list[dict[str, str]]
    fp: str
    now: object
    until: object
    batch: str
    actor: str
    rules_version: str


async def _stage(session: AsyncSession, repo: DeclarationsRepository, rows: list[ListRow],
                 p: _Params) -> sa.Table:
    """The list in a temporary table (one bulk statement), then matched in one
    ``INSERT … SELECT`` (gone at the end of the transaction / connection)."""
    raw, stage = repo.raw, repo.stage
    conn = await session.connection()
    await repo.create_list_tables(conn)
    await repo.load_list(conn, [(r.line, r.id_index) for r in rows])
    hs, st, o = SUBJECTS, STATUSES, OFFICIALS
    now = sa.literal(p.now, UTCDateTime())
    latest = (sa.select(st.c.subject, sa.func.max(st.c.id).label("id"))
              .where(st.c.subject.in_(sa.select(hs.c.subject).where(
                  hs.c.id_index.in_(sa.select(raw.c.id_index)))))
              .group_by(st.c.subject).subquery("latest"))
    status = st.alias("latest_status")
    newest = (sa.select(o.c.id_index, sa.func.max(o.c.id).label("id"))
              .where(o.c.id_index.in_(sa.select(raw.c.id_index)))
              .group_by(o.c.id_index).subquery("newest"))
    official = o.alias("newest_official")
    # this very official status is already in force: nothing to do for this row
    done = sa.case((sa.and_(official.c.fingerprint == p.fp, official.c.valid_until > now),
                    sa.true()), else_=sa.false())
    old_color = sa.case((sa.and_(status.c.active.is_(True), status.c.valid_until > now),
                         status.c.color), else_=sa.null())
    await conn.execute(sa.insert(stage).from_select(
        ["line", "id_index", "subject", "bound_key", "status_id", "old_color", "owner_key",
         "masked_name", "declaration_id", "proxy", "skip"],
        sa.select(raw.c.line, raw.c.id_index, hs.c.subject, hs.c.bound_key, status.c.id,
                  old_color, status.c.owner_key, status.c.masked_name,
                  status.c.declaration_id, status.c.proxy, done)
        .select_from(raw.outerjoin(hs, hs.c.id_index == raw.c.id_index)
                     .outerjoin(latest, latest.c.subject == hs.c.subject)
                     .outerjoin(status, status.c.id == latest.c.id)
                     .outerjoin(newest, newest.c.id_index == raw.c.id_index)
                     .outerjoin(official, official.c.id == newest.c.id))))
    await repo.list_staged(conn)
    return stage


async def _counts(session: AsyncSession, stage: sa.Table) -> tuple[int, int, int]:
    row = (await session.execute(sa.select(
        sa.func.count().filter(stage.c.subject.is_not(None)),
        sa.func.count().filter(stage.c.subject.is_(None)),
        sa.func.count().filter(stage.c.skip.is_(True))))).one()
    return int(row[0]), int(row[1]), int(row[2])


async def _apply(session: AsyncSession, svc: Declarations, stage: sa.Table, p: _Params,
                 report: ImportReport, notices: tuple[str, str]) -> None:
    st, hc = STATUSES, CODES
    now = sa.literal(p.now, UTCDateTime())
    # Revoked now, not when the import began: the list holds every writer of a subject
    # (and live-code reader, :func:`bot.services.health_codes.live_code`) off by now, so a
    # live code signed before the hold falls in a time slot the revocation list names.
    revoked_at = svc.hub.clock.now()
    todo = stage.c.skip.is_(False)
    known = sa.and_(todo, stage.c.subject.is_not(None))
    # 1. the official statuses (pending ones too)
    await session.execute(sa.insert(OfficialStatus).from_select(
        ["id_index", "color", "reasons", "fingerprint", "valid_from", "valid_until", "batch",
         "actor", "created_at"],
        sa.select(stage.c.id_index, sa.literal(p.color), sa.literal(p.reasons, sa.JSON()),
                  sa.literal(p.fp), now, sa.literal(p.until, UTCDateTime()),
                  sa.literal(p.batch), sa.literal(p.actor), now).where(todo)))
    # 2. revoke the known people's statuses and every code issued under them
    active = sa.select(st.c.id).where(st.c.active.is_(True), st.c.subject.in_(
        sa.select(stage.c.subject).where(known)))
    result = await session.execute(sa.update(hc).where(hc.c.revoked.is_(False),
                                                       hc.c.status_id.in_(active))
                                   .values(revoked=True))
    report.revoked_codes = affected_rows(result)
    result = await session.execute(sa.update(st).where(st.c.id.in_(active))
                                   .values(active=False, revoked_at=revoked_at))
    report.revoked_statuses = affected_rows(result)
    # 3. their new official status, seen by the bound resident (else by whoever declared
    #    last); the page token is a value no token hashes to: 我的健康码 gives a fresh link
    token = sa.literal(f"list:{p.batch}:") + stage.c.subject
    issued = await session.execute(sa.insert(HealthStatus).from_select(
        ["subject", "owner_key", "declaration_id", "token_hash", "color", "reasons",
         "masked_name", "source", "rules_version", "active", "issued_at", "valid_until",
         "proxy"],
        sa.select(stage.c.subject,
                  sa.func.coalesce(stage.c.bound_key, stage.c.owner_key, sa.literal("")),
                  stage.c.declaration_id, token, sa.literal(p.color),
                  sa.literal(p.reasons, sa.JSON()),
                  sa.func.coalesce(stage.c.masked_name, sa.literal("*")),
                  sa.literal("official"), sa.literal(p.rules_version), sa.true(), now,
                  sa.literal(p.until, UTCDateTime()),
                  sa.func.coalesce(stage.c.proxy, sa.false())).where(known)))
    await count(session, revoked_at, *status_tallies("", report.revoked_statuses,
                                                     affected_rows(issued)))
    # 4. the audit log
    await session.execute(sa.insert(StatusAudit).from_select(
        ["at", "subject", "old_color", "new_color", "source", "batch", "actor", "reasons"],
        sa.select(now, stage.c.subject, stage.c.old_color, sa.literal(p.color),
                  sa.literal("import"), sa.literal(p.batch), sa.literal(p.actor),
                  sa.literal(p.reasons, sa.JSON())).where(known)))
    # 5. a chat notice: to the bound resident, else to whoever declared last (a proxy)
    for proxy, key, text in ((False, stage.c.bound_key, notices[0]),
                             (True, stage.c.owner_key, notices[1])):
        position = svc.repo.position(key, ":")
        payload = svc.hub.sealer.seal([Reply.say(text).to_json()])
        where = [known, position > 1]
        if proxy:
            where.append(stage.c.bound_key.is_(None))
        result = await session.execute(sa.insert(OutboxMessage).from_select(
            ["channel", "user_id", "dedupe_key", "payload", "status", "attempts", "due_at",
             "created_at"],
            sa.select(sa.func.substr(key, 1, position - 1), sa.func.substr(key, position + 1),
                      sa.literal(f"status:{p.batch}:") + stage.c.subject,
                      sa.literal(payload, sa.LargeBinary()), sa.literal("pending"),
                      sa.literal(0), now, now).where(*where)))
        report.notices += affected_rows(result)
    await svc.repo.drop_list_tables(session)
