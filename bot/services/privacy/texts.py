"""What a resident is told about their data, in zh and en."""

from __future__ import annotations

from datetime import datetime

from bot.clock import CITY_TZ
from bot.services.declarations.texts import COLOR_NAME
from bot.services.filings.catalog import STATES
from bot.services.privacy.erase import Erasure
from bot.services.privacy.mine import MyData

SOURCE = {"declaration": ("您的申报（规则判定）", "your declaration (the rules)"),
          "official": ("卫生部门（官方状态）", "the health authority (an official status)"),
          "reapply": ("规则重新判定", "the rules, re-applied")}
RES = {"active": ("有效", "active"), "redeemed": ("已领取", "picked up"),
       "expired": ("已过期", "expired"), "cancelled": ("已取消", "cancelled")}
KIND = {"declarations": ("健康申报", "health declarations"),
        "statuses": ("健康状态记录", "health status records"),
        "bindings": ("身份证号绑定", "ID number bindings"),
        "checkins": ("场所扫码记录", "venue check-ins"),
        "dependants": ("代报家属", "family members declared for"),
        "records": ("表单记录", "form records"), "profile": ("保存的个人资料", "saved profile"),
        "handoffs": ("人工客服记录", "conversations with staff"),
        "turns": ("聊天记录", "chat log entries"),
        "messages": ("已送达的通知", "delivered notices"),
        "location": ("位置信息", "location"),
        "reservations": ("预约与摇号记录（已匿名化）",
                         "reservations and lottery entries (anonymised)"),
        "filings": ("复工申报联系人（已匿名化）", "filing contacts (anonymised)")}
KEPT = {
    "legal_hold": ("依法须保存（法律保全），暂不能删除任何数据。",
                   "required by law (a legal hold): nothing can be deleted for now."),
    "official": ("卫生部门的官方健康状态有效至 {until}：相关申报和身份绑定保留到那时。",
                 "an official health status is in force until {until}: its declarations and "
                 "ID binding are kept until then."),
    "status_in_force": ("您当前的健康码有效至 {until}，到期后按保存期限删除。",
                        "your current health code is valid until {until}; it is removed on the "
                        "retention schedule after that."),
    "code_alive": ("已签发的健康码有效至 {until}，其状态记录保留到那时，以便核验。",
                   "a code issued earlier is valid until {until}; its status is kept until then "
                   "so checkpoints can verify it."),
    "handoff_open": ("您与工作人员的对话尚未结束。", "your conversation with staff is still open."),
    "reservation_active": ("有效预约（至 {until}）保留；可在“我的预约”中取消。",
                           "an active reservation (until {until}) is kept; cancel it under "
                           "“my reservations”."),
    "registration_pending": ("尚未开奖的摇号登记保留。", "a lottery entry not yet drawn is kept."),
    "filing_open": ("审核中的复工申报保留。", "a resumption filing under review is kept."),
    "audit": ("身份绑定变更的审计记录依法只增不删。",
              "the audit record of binding changes is append-only by law."),
    "subject": ("身份证号的加密索引（无法还原为号码）保留，以便官方名单仍能对应。",
                "a keyed hash of the ID number (it cannot be turned back into the number) is "
                "kept so official lists still match it."),
    "conversation": ("当前对话的状态保留，以便继续聊天。",
                     "this conversation's current state is kept so the chat can go on."),
}


def _when(at: datetime | None, lang: str) -> str:
    if at is None:
        return "—"
    return at.astimezone(CITY_TZ).strftime("%Y-%m-%d %H:%M")


def summary_text(data: MyData, lang: str) -> str:
    """The summary of :class:`MyData`, in ``lang``."""
    en = lang == "en"
    i = 1 if en else 0
    lines = ["What we hold about you:" if en else "我们保存的关于您的信息："]
    if data.declarations:
        last = _when(data.last_declared, lang)
        lines.append(f"• Health declarations: {data.declarations} (latest {last})" if en else
                     f"• 健康申报：{data.declarations} 次（最近 {last}）")
    if data.status:
        color, source, until = data.status
        lines.append((f"• Current status: {COLOR_NAME.get(color, (color, color))[i]}, set by "
                      f"{SOURCE.get(source, (source, source))[i]}, valid until "
                      f"{_when(until, lang)}") if en else
                     f"• 当前状态：{COLOR_NAME.get(color, (color, color))[i]}，来源："
                     f"{SOURCE.get(source, (source, source))[i]}，有效至 {_when(until, lang)}")
    for b in data.bindings:
        lines.append(f"• ID bound to you: {b.name} {b.id_number}" if en else
                     f"• 绑定的身份证：{b.name} {b.id_number}")
    if data.dependants:
        lines.append(f"• Family members you declare for: {data.dependants}" if en else
                     f"• 代报的家属：{data.dependants} 人")
    if data.reservations or data.registrations:
        parts = [f"{RES.get(k, (k, k))[i]} {n}" for k, n in sorted(data.reservations.items())]
        if data.registrations:
            parts.append(f"lottery entries {data.registrations}" if en else
                         f"摇号登记 {data.registrations}")
        lines.append(("• Reservations: " if en else "• 物资预约：") + ", ".join(parts))
    for firm, state in data.filings:
        lines.append((f"• Resumption filing: {firm} ({STATES.get(state, (state, state))[i]})")
                     if en else f"• 复工申报：{firm}（{STATES.get(state, (state, state))[i]}）")
    if data.records:
        n = sum(data.records.values())
        lines.append(f"• Form records: {n}" if en else f"• 表单记录：{n} 条")
    if data.handoffs:
        lines.append(f"• Conversations with staff: {data.handoffs}" if en else
                     f"• 人工客服对话：{data.handoffs} 次")
    if data.profile_fields:
        lines.append(f"• Saved profile: {len(data.profile_fields)} fields" if en else
                     f"• 保存的个人资料：{len(data.profile_fields)} 项")
    lines.append(f"• Chat log: {data.turns} messages" if en else f"• 聊天记录：{data.turns} 条")
    lines.append("ID numbers are shown masked. Say “delete my data” to ask for deletion." if en
                 else "身份证号已部分隐藏。如需删除，请发送“删除我的数据”。")
    return "\n".join(lines)


def kept_lines(erasure: Erasure, lang: str) -> list[str]:
    i = 1 if lang == "en" else 0
    return ["• " + KEPT[r][i].format(until=_when(u, lang)) for r, u in erasure.kept]


def erasure_text(erasure: Erasure, lang: str, *, preview: bool) -> str:
    """What was (or, with ``preview``, would be) removed and kept, and why."""
    en = lang == "en"
    i = 1 if en else 0
    removed = [f"• {KIND.get(k, (k, k))[i]}: {n}" for k, n in sorted(erasure.removed.items())]
    if preview:
        head = "This would be deleted:" if en else "将删除："
    else:
        head = "Deleted:" if en else "已删除："
    lines = [head, *(removed or ["• " + ("nothing" if en else "无")])]
    kept = kept_lines(erasure, lang)
    if kept:
        lines += ["Kept, and why:" if en else "保留的内容及原因：", *kept]
    return "\n".join(lines)
