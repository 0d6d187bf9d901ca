"""Live codes and revocation racing each other; code images for WeChat write nothing.

A live code is signed only after its status is read again while the subject is held as a
reader, and every revocation reads its ``revoked_at`` after it has the subject: so a code
is either refused (revoked first) or lies in a time slot the revocation list names (signed
first). SQLite and PostgreSQL.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa

import codes
from bot.clock import FixedClock
from bot.db.base import Base
from bot.db.models.declarations import HealthStatus
from bot.hub import open_base_hub
from bot.services.declarations import Person, code_image, declarations, declare, set_status
from bot.services.declarations.officials import import_statuses
from bot.services.declarations.store import lock_subject, revoke_subject, status_by_token
from bot.services.health_codes import (
    SUBJECT_READER,
    StatusNotActive,
    all_revoked_code_ids,
    issue_paper_code,
    live_code,
    live_code_id,
)
from tests.conftest import make_settings

HEALTHY = {"temperature": 36.5, "symptoms": ["none"], "travel": ["none"], "contact": False,
           "quarantine": "free"}
ALICE = Person("张三明", "11010519491231002X", None)
STEP = 90  #: seconds per live-code slot: half of the default ``codes.live_seconds``
#: the start of a slot, so a test knows which slot each moment falls in
NOW = datetime.fromtimestamp(int(datetime.now(UTC).timestamp()) // STEP * STEP, UTC)


def cti(svc: Any, text: str, at: datetime) -> bytes:
    trust = svc.signing.store.trust_list(at=at)
    return bytes.fromhex(codes.verify_code(text, trust_list=trust, at=at).claims["cti"])


async def row_counts(hub: Any) -> dict[str, int]:
    async with hub.db.sessions() as s:
        return {t.name: await s.scalar(sa.select(sa.func.count()).select_from(t))
                for t in Base.metadata.sorted_tables}


async def test_a_stale_page_gets_no_code_after_a_revocation(database_url, tmp_path):
    """The page read the status as active; the revocation commits; a slot later the page
    asks for its code: it is refused, not signed for a slot the revocation list omits."""
    clock = FixedClock(NOW)
    async with open_base_hub(make_settings(database_url, tmp_path), clock=clock) as hub:
        svc = declarations(hub)
        out = await declare(svc, person=ALICE, answers=HEALTHY, user_key="web:a", proxy=False)
        stale = await status_by_token(svc, out.token)  # a page request, still active
        shown = await live_code(svc, stale)  # signed before: on the list after
        clock.advance(seconds=10)
        await set_status(svc, subject=out.subject, color="red", reason_zh="密接",
                         reason_en="Close contact")
        clock.advance(seconds=STEP)
        with pytest.raises(StatusNotActive):
            await live_code(svc, stale)
        assert cti(svc, shown.text, clock.now()) in set(await all_revoked_code_ids(svc))


async def test_a_live_code_waits_for_a_revocation_in_flight(database_url, tmp_path):
    """A revocation holds the subject (revoked_at in slot s); the page's request comes in
    and would sign in slot s + 1: it waits for the commit, then is refused."""
    clock = FixedClock(NOW)
    async with open_base_hub(make_settings(database_url, tmp_path), clock=clock) as hub:
        svc = declarations(hub)
        out = await declare(svc, person=ALICE, answers=HEALTHY, user_key="web:a", proxy=False)
        status = await status_by_token(svc, out.token)
        async with hub.db.write() as session:
            await lock_subject(session, out.subject)
            assert await revoke_subject(session, out.subject, clock.now()) == 1
            reader = asyncio.create_task(live_code(svc, status))
            await asyncio.sleep(0.5)
            assert not reader.done()  # held off until the revocation is committed
            clock.advance(seconds=STEP)
        with pytest.raises(StatusNotActive):
            await reader
        assert await code_image(hub, f"/code/{out.token}/qr.png") is None


async def _official(svc: Any, subject: str) -> None:
    await set_status(svc, subject=subject, color="red", reason_zh="密接",
                     reason_en="Close contact")


async def _listed(svc: Any, subject: str) -> None:
    report = await import_statuses(svc, f"{ALICE.id_number}\n", color="red",
                                   reason_zh="密接", reason_en="Close contact", actor="cli:t")
    assert report.applied and report.revoked_statuses == 1


async def _declared_again(svc: Any, subject: str) -> None:
    await declare(svc, person=ALICE, answers={**HEALTHY, "temperature": 37.9},
                  user_key="web:a", proxy=False)


@pytest.mark.parametrize("revoke", [_official, _listed, _declared_again],
                         ids=["set_status", "import_statuses", "declare"])
async def test_a_revocation_waits_for_a_live_code_being_signed(
        database_url, tmp_path, revoke: Callable[[Any, str], Awaitable[None]]):
    """A page holds the subject while it signs a code in slot s; a revocation that began
    meanwhile takes its ``revoked_at`` after the page let go, so slot s is on the list."""
    clock = FixedClock(NOW)
    async with open_base_hub(make_settings(database_url, tmp_path), clock=clock) as hub:
        svc = declarations(hub)
        out = await declare(svc, person=ALICE, answers=HEALTHY, user_key="web:a", proxy=False)
        status = await status_by_token(svc, out.token)
        async with hub.db.sessions() as reading:  # what live_code holds while it signs
            await reading.execute(SUBJECT_READER, {"subject": out.subject})
            signed = live_code_id(svc, status.id, int(clock.now().timestamp()) // STEP)
            revoker = asyncio.create_task(revoke(svc, out.subject))
            await asyncio.sleep(0.5)
            assert not revoker.done()  # waits for the page
            clock.advance(seconds=STEP + 5)
        await revoker
        async with hub.db.sessions() as s:
            revoked_at = await s.scalar(sa.select(HealthStatus.revoked_at)
                                        .where(HealthStatus.id == status.id))
        assert revoked_at == clock.now()  # read after the page let go, not before
        assert signed in set(await all_revoked_code_ids(svc))


async def test_code_images_read_and_never_write(database_url, tmp_path):
    """WeChat's code images: ``qr.png`` is the slot's live code (signed, not stored),
    ``paper.png`` the paper code already issued, if any."""
    clock = FixedClock(NOW)
    async with open_base_hub(make_settings(database_url, tmp_path), clock=clock) as hub:
        svc = declarations(hub)
        out = await declare(svc, person=ALICE, answers=HEALTHY, user_key="web:a", proxy=False)
        status = await status_by_token(svc, out.token)
        await code_image(hub, f"/code/{out.token}/qr.png")  # warm-up (keys, caches)
        before = await row_counts(hub)
        png = await code_image(hub, f"/code/{out.token}/qr.png")
        assert png is not None
        [text] = codes.decode_image(png)
        slot = int(NOW.timestamp()) // STEP
        assert cti(svc, text, NOW) == live_code_id(svc, status.id, slot)
        assert text == (await live_code(svc, status)).text
        assert await code_image(hub, f"/code/{out.token}/paper.png") is None
        assert await row_counts(hub) == before  # nothing stored, nothing changed

        clock.advance(seconds=STEP * 7)  # past half the life of any old-style stored code
        for _ in range(2):
            assert await code_image(hub, f"/code/{out.token}/qr.png") is not None
            assert await code_image(hub, f"/code/{out.token}/paper.png") is None
        assert await row_counts(hub) == before

        paper = await issue_paper_code(svc, status, channel="cli", actor="cli:t", limit=None)
        png = await code_image(hub, f"/code/{out.token}/paper.png")
        assert png is not None and codes.decode_image(png) == [paper.text]
        clock.advance(hours=23)  # a paper code is never re-minted by a read
        assert codes.decode_image(await code_image(hub, f"/code/{out.token}/paper.png")) == [
            paper.text]
        clock.advance(hours=1, seconds=1)
        assert await code_image(hub, f"/code/{out.token}/paper.png") is None
        assert await code_image(hub, f"/code/nope{'x' * 20}/qr.png") is None


async def test_revoked_statuses_are_read_by_an_index(database_url, tmp_path):
    """``/api/v1/revocations`` and ``/api/v1/verify`` read recent ``revoked_at``s."""
    async with open_base_hub(make_settings(database_url, tmp_path)) as hub:
        assert timedelta(seconds=hub.settings.codes.live_seconds) == 2 * timedelta(seconds=STEP)
        async with hub.db.engine.connect() as conn:
            names = await conn.run_sync(lambda sync: {
                i["name"] for i in sa.inspect(sync).get_indexes("health_statuses")})
    assert "ix_health_statuses_revoked_at" in names
