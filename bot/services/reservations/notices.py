"""Messages the engine queues in the outbox, each in its reader's language.

The language is the conversation's (``conversations.lang`` for ``user_key`` =
``"channel:user_id"``); a user who never chatted (e.g. a mini-program client) gets
Chinese.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models.core import Conversation
from bot.services.reservations import pickup_codes
from bot.services.reservations.context import SupplyContext, local
from bot.services.reservations.rules import ProductRule

DEFAULT_LANG = "zh"


async def languages(session: AsyncSession, users: Iterable[tuple[str, str]]) -> dict[str, str]:
    """``"channel:user_id"`` → ``zh`` / ``en`` for the given (channel, user_id) pairs."""
    keys = sorted({f"{channel}:{user_id}" for channel, user_id in users})
    found: dict[str, str] = {}
    for i in range(0, len(keys), 500):
        rows = await session.execute(sa.select(Conversation.user_key, Conversation.lang)
                                     .where(Conversation.user_key.in_(keys[i:i + 500])))
        found.update({k: lang for k, lang in rows.all() if lang in ("zh", "en")})
    return {k: found.get(k, DEFAULT_LANG) for k in keys}


def lang_of(langs: dict[str, str], channel: str, user_id: str) -> str:
    return langs.get(f"{channel}:{user_id}", DEFAULT_LANG)


def reminder(ctx: SupplyContext, lang: str, what: dict[str, str], store: str, address: str,
             end: datetime, code: str) -> str:
    end = local(ctx, end)
    if lang == "en":
        return (f"Reminder: collect your {what['en']} at {store} ({address}) before "
                f"{end:%H:%M}; pickup code {code}.")
    return (f"提醒：您预约的{what['zh']}请在 {end:%H:%M} 前到 {store}（{address}）领取，"
            f"取货码 {code}。")


def draw_result(ctx: SupplyContext, lang: str, rule: ProductRule, store: str,
                code: str | None, day: date, nxt: datetime) -> str:
    if code:
        end = local(ctx, ctx.rules.window_end(day))
        shown = pickup_codes.display(code)
        if lang == "en":
            return (f"You won the draw for {rule.name['en']} at {store}. Pickup code {shown}, "
                    f"collect before {end:%b %d %H:%M}.")
        return (f"恭喜中签！{rule.name['zh']}，{store}。取货码 {shown}，"
                f"请在 {end:%m月%d日 %H:%M} 前领取。")
    if lang == "en":
        return (f"Not drawn this time for {rule.name['en']}. The next registration opens "
                f"{nxt:%b %d %H:%M}.")
    return f"很遗憾，本次{rule.name['zh']}抽签未中。下一轮登记 {nxt:%m月%d日 %H:%M} 开始。"
