"""Data for the privacy tests: declarations through the chat, and rows of each kind."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa

from bot.messages import Inbound
from bot.services.staff.audit import audit_in

OLD_ID = "11010519491231002X"
NEW_ID = "110105195001010012"
OFFICIAL_ID = "110101199003074477"


def answers(name: str, id_number: str) -> list[str]:
    return ["健康申报", "1", name, id_number, "13812345678", "江岸区", "花桥街一村社区",
            "3号楼", "36.5", "没有", "没有离开本市", "否", "未隔离", "是", "确认"]


async def say(hub: Any, user: str, text: str) -> list[str]:
    replies = await hub.engine.handle(Inbound(channel="web", user_id=user, text=text))
    return [r.as_plain_text() for r in replies]


async def declare(hub: Any, user: str, id_number: str, name: str = "张三明") -> list[str]:
    replies: list[str] = []
    for text in answers(name, id_number):
        replies = await say(hub, user, text)
    assert any("绿码" in r for r in replies), replies
    return replies


async def subject_of(hub: Any, user: str) -> str:
    async with hub.db.sessions() as session:
        return str(await session.scalar(sa.text(
            "SELECT subject FROM health_declarations WHERE user_key = :u LIMIT 1"),
            {"u": f"web:{user}"}))


async def add_rows(hub: Any, user: str, tag: str, at: datetime) -> None:
    """A record, a closed handoff, a staff audit entry, a reservation (closed) and a
    decided filing of ``web:<user>``, all made at ``at``."""
    key = f"web:{user}"
    n = await hub.db.next_id("records")
    async with hub.db.write() as s:
        await s.execute(sa.text(
            "INSERT INTO records (id, flow_id, user_key, lang, data, created_at) "
            "VALUES (:id, 'community_screening', :u, 'zh', :d, :at)"),
            {"id": n, "u": key, "d": hub.sealer.seal({"tag": tag}), "at": at})
        await s.execute(sa.text(
            "INSERT INTO handoffs (user_key, status, transcript, created_at, lang, closed_at) "
            "VALUES (:u, 'closed', :t, :at, 'zh', :at)"),
            {"u": key, "t": hub.sealer.seal([]), "at": at})
        audit_in(s, at, actor=f"staff:{tag}", action="login")
        product = await s.scalar(sa.text("SELECT id FROM supply_products WHERE code = 'm'"))
        if product is None:
            await s.execute(sa.text(
                "INSERT INTO supply_products (code, name_zh, name_en, unit, pack_size) "
                "VALUES ('m', '口罩', 'masks', '只', 5)"))
            await s.execute(sa.text(
                "INSERT INTO supply_stores (code, name, address, district, lat, lng, "
                "opening_hours, weight, active) VALUES ('s', '药房', '路', 'jiangan', 30.6, "
                "114.3, '', 1.0, true)"))
            product = await s.scalar(sa.text("SELECT id FROM supply_products WHERE code = 'm'"))
        store = await s.scalar(sa.text("SELECT id FROM supply_stores WHERE code = 's'"))
        release = await s.scalar(sa.text("SELECT id FROM supply_releases WHERE day = :day"),
                                 {"day": at.date()})
        if release is None:
            await s.execute(sa.text(
                "INSERT INTO supply_releases (store_id, product_id, day, released, remaining, "
                "priority_left, carried_out, manual, drawn, updated_at) "
                "VALUES (:st, :p, :day, 10, 9, 0, 0, false, false, :at)"),
                {"st": store, "p": product, "day": at.date(), "at": at})
            release = await s.scalar(sa.text("SELECT max(id) FROM supply_releases"))
        await s.execute(sa.text(
            "INSERT INTO supply_reservations (public_id, release_id, person_key, account_key, "
            "channel, user_id, quantity, period, name_sealed, code_hash, code_sealed, status, "
            "window_start, window_end, reminded, created_at, closed_at) VALUES (:pid, :r, "
            "'pk', 'ak', 'web', :user, 1, :day, :name, :h, :code, 'redeemed', :at, :at, "
            "false, :at, :at)"),
            {"pid": f"R{tag}", "r": release, "user": user, "day": at.date(),
             "name": hub.sealer.seal("张三明"), "h": f"h{tag}", "code": hub.sealer.seal("123"),
             "at": at})
        await s.execute(sa.text(
            "INSERT INTO filings (uscc, user_key, lang, state, version, firm_name, industry, "
            "district, street, address, private, staff_total, staff_returning, "
            "staff_risk_14d, isolation_rooms, capacity_percent, planned_start, details, flags, "
            "created_at, updated_at) VALUES (:uscc, :u, 'zh', 'approved', 2, '某公司', "
            "'retail', 'jiangan', '街', '路 1 号', :p, 10, 5, 0, 1, 50, :day, '{}', '[]', "
            ":at, :at)"),
            {"uscc": f"91420100MA4K{tag:0>6}", "u": key, "day": at.date(), "at": at,
             "p": hub.sealer.seal({"contact_name": "李四", "contact_phone": "13900000000",
                                   "prevention_lead": "王五"}, context=b"filing")})


async def ops_totals(hub: Any) -> dict[str, int]:
    """Every metric's total: folded counts plus events not yet folded."""
    async with hub.db.sessions() as session:
        rows = (await session.execute(sa.text(
            "SELECT metric, sum(n) FROM (SELECT metric, n FROM ops_counts UNION ALL "
            "SELECT metric, n FROM ops_events) AS a GROUP BY metric"))).all()
    return {m: int(n) for m, n in rows}


async def column(hub: Any, sql: str, **params: Any) -> list[Any]:
    async with hub.db.sessions() as session:
        return [r[0] for r in (await session.execute(sa.text(sql), params)).all()]
