"""The chat message a firm gets for each transition of its filing, in its language.

The language is the firm's conversation's (``conversations.lang`` of the filing's
``user_key``), else the one it filed in. The message is queued in the outbox in the
transaction of the transition (WeChat push, or the web chat's long-poll), once per
filing version (``dedupe_key``).
"""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models.core import Conversation
from bot.db.models.filings import Filing
from bot.messages import Reply
from bot.services.outbox import Outbox


def _day(value: date, lang: str) -> str:
    return f"{value.month}月{value.day}日" if lang == "zh" else value.strftime("%d %b %Y")


def notice_text(row: Filing, lang: str, link: str | None = None) -> str:
    """What the firm is told about the filing's current state: the reason, what next;
    ``link`` (an approved filing's printable notice page) is added when given."""
    text = _state_text(row, lang)
    if link and row.state == "approved":
        text += (f"\nPrintable resumption notice: {link}" if lang == "en"
                 else f"\n可打印的复工通知：{link}")
    return text


def _state_text(row: Filing, lang: str) -> str:
    reason = row.reason or ""
    if lang == "en":
        head = f"[Resumption filing no. {row.id}, {row.firm_name}] "
        return head + {
            "submitted": "Received. The district office will review it; you will hear the "
                         "outcome here. Reply \"filing status\" to check at any time.",
            "approved": f"Approved. Notice number {row.notice_no}. Reviewer's note: {reason}. "
                        f"You may resume on {_day(row.planned_start, 'en')}; keep the "
                        "prevention measures and post the resumption notice at your gate.",
            "rejected": f"Not approved. Reason: {reason}. If things change you may file "
                        "again; for questions contact your district resumption office.",
            "returned": f"Returned for changes. What to fix: {reason}. Reply \"file "
                        "resumption\" to correct and resubmit it (your answers are filled "
                        "in), or resubmit from the mini-program.",
            "withdrawn": "Withdrawn. You may file again whenever you are ready.",
        }[row.state]
    head = f"【复工申报 编号{row.id}·{row.firm_name}】"
    return head + {
        "submitted": "已收到，区复工办将尽快审核，结果会在这里通知您。"
                     "可随时回复「复工申报进度」查询。",
        "approved": f"已批准，复工通知编号 {row.notice_no}。审核意见：{reason}。"
                    f"可于{_day(row.planned_start, 'zh')}起复工，请落实各项防控措施，"
                    "并将复工通知张贴在单位门口。",
        "rejected": f"未通过。原因：{reason}。如情况有变化，可重新申报；"
                    "如有疑问请联系所在区复工办。",
        "returned": f"已退回修改。需修改：{reason}。请回复「复工申报」修改后重新提交"
                    "（已填信息会自动带入），也可在小程序中修改后重新提交。",
        "withdrawn": "已撤回。需要时可随时重新申报。",
    }[row.state]


async def firm_language(session: AsyncSession, row: Filing) -> str:
    lang = await session.scalar(sa.select(Conversation.lang).where(
        Conversation.user_key == row.user_key))
    return lang if lang in ("zh", "en") else row.lang


async def queue_notice(session: AsyncSession, outbox: Outbox, row: Filing,
                       link: str | None = None) -> None:
    """Queue the firm's message about ``row``'s current state in ``session`` (``link``:
    the notice page of an approved filing)."""
    channel, sep, user_id = row.user_key.partition(":")
    if not sep or not user_id:
        return  # no chat identity to write to
    text = notice_text(row, await firm_language(session, row), link)
    await outbox.enqueue(channel=channel, user_id=user_id, replies=[Reply.say(text)],
                         dedupe_key=f"filing:{row.id}:{row.version}", session=session)
