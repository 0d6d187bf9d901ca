"""Chat actions of the declaration flows: ``declarations.prepare``, ``.submit``, ``.show``.

Slots read: ``for_whom`` (self / family), ``name``, ``id_number``, ``phone`` (self) or
``member_name``, ``member_id_number``, ``member_phone`` (family), and the health answers
(``district``, ``street``, optional ``building``, ``temperature``, ``symptoms``,
``travel``, ``contact``, ``quarantine``). Slots set: ``travel_options``, ``code_color``.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

import codes
from bot.actions import ActionContext, ActionRegistry, ActionResult
from bot.clock import CITY_TZ
from bot.db.models.declarations import HealthStatus
from bot.errors import ActionError
from bot.messages import Reply
from bot.services import health_codes  # a module: it imports this package in turn
from bot.services.declarations.declare import Person, declare, recalled, told
from bot.services.declarations.rules import load_rules
from bot.services.declarations.service import declarations
from bot.services.declarations.signing import MAX_PAPER_TTL
from bot.services.declarations.store import (
    latest_status,
    new_token,
    status_by_token,
    status_state,
)
from bot.services.declarations.texts import official_note
from bot.services.declarations.trust import DeclarationRefused, official_for_subject

if TYPE_CHECKING:
    from bot.hub import Hub

COLOR_TEXT = {"green": ("绿码", "green"), "yellow": ("黄码", "yellow"), "red": ("红码", "red")}
ADVICE = {
    "green": ("可正常通行。", "You may pass checkpoints normally."),
    "yellow": ("请居家观察，每日申报，如有不适及时就医。",
               "Please stay home under observation, declare daily and see a doctor if unwell."),
    "red": ("请立即居家隔离并联系社区，不要前往公共场所。",
            "Please isolate at home now and contact your community; avoid public places."),
}
MEDIA_PATH = re.compile(r"^/code/([A-Za-z0-9_-]{20,64})/(qr|paper)\.png$")


def _t(lang: str, zh: str, en: str) -> str:
    return zh if lang == "zh" else en


def _when(at: datetime, lang: str) -> str:
    local = at.astimezone(CITY_TZ)
    return local.strftime("%m月%d日 %H:%M") if lang == "zh" else local.strftime("%b %d %H:%M")


def colour_replies(status: HealthStatus, token: str, public_url: str, lang: str, *,
                   paper: bool) -> list[Reply]:
    """The colour with reasons, the code image and the live-page link."""
    zh_c, en_c = COLOR_TEXT[status.color]
    sep = "；" if lang == "zh" else "; "
    reasons = sep.join(r[lang] for r in status.reasons)
    why = _t(lang, f"原因：{reasons}。", f"Because: {reasons}.") if reasons else ""
    advice = ADVICE[status.color][0 if lang == "zh" else 1]
    head = _t(lang, f"{status.masked_name} 的健康码：{zh_c}。{why}{advice}",
              f"Health code of {status.masked_name}: {en_c}. {why} {advice}".replace("  ", " "))
    until = _when(status.valid_until, lang)
    image = Reply(type="image", url=f"/code/{token}/{'paper' if paper else 'qr'}.png",
                  text=_t(lang, f"{zh_c}（{status.masked_name}）", f"{en_c} code "
                          f"({status.masked_name})"))
    link = Reply(type="link", url=f"{public_url.rstrip('/')}/code/{token}",
                 text=_t(lang, f"实时健康码页面（截图无效，有效至 {until}）：",
                         f"Live code page (screenshots do not count; valid until {until}):"))
    return [Reply.say(head), image, link]


def _contact(hub: Hub) -> tuple[str, str]:
    return hub.settings.declarations.contact_zh, hub.settings.declarations.contact_en


def register_actions(registry: ActionRegistry, hub: Hub) -> None:
    """Register the ``declarations.*`` actions."""
    load_rules(hub.settings.risk_rules_file)  # a bad rules file stops start-up, not a chat

    async def prepare(ctx: ActionContext) -> ActionResult:
        return ActionResult(slots={"travel_options": declarations(hub).rules.travel_options()})

    async def submit(ctx: ActionContext) -> ActionResult:
        svc = declarations(hub)
        s = ctx.slots
        proxy = s.get("for_whom") == "family"
        prefix = "member_" if proxy else ""
        name, id_number = s.get(prefix + "name"), s.get(prefix + "id_number")
        if not name or not id_number:
            raise ActionError("缺少姓名或身份证号，请重新申报。",
                              "Name or ID number is missing; please declare again.",
                              code="missing_identity")
        if s.get("consent") is not True:
            raise ActionError("未同意信息使用，申报未提交。",
                              "You did not agree to the use of the data; nothing was stored.",
                              code="no_consent")
        person = Person(str(name), str(id_number), s.get(prefix + "phone") or None)
        # The same message run again (its process died after the declaration was
        # stored, before the turn was): what was declared then, not a second one.
        done = await recalled(svc, ctx.receipt) if ctx.receipt else None
        if done is None:
            try:
                done = told(await declare(svc, person=person, answers=s,
                                          user_key=ctx.user_key, proxy=proxy,
                                          receipt=ctx.receipt))
            except DeclarationRefused as err:
                # nothing a retry could change, except a name the register spells otherwise
                raise ActionError(err.zh, err.en, code=err.code,
                                  final=err.code != "name_mismatch") from None
        status = await status_by_token(svc, done.token)
        assert status is not None  # made by declare() just now
        if proxy:  # a printable code for someone without a phone: issued and logged
            hours = float(ctx.params.get("paper_hours") or 0)
            ttl = min(timedelta(hours=hours), MAX_PAPER_TTL) if hours > 0 else None
            try:
                await health_codes.issue_paper_code(svc, status, channel="chat",
                                                    actor="chat-proxy", limit=None, ttl=ttl)
            except health_codes.StatusNotActive:
                raise ActionError(
                    "这份申报的健康码刚刚被更新，请回复「我的健康码」查看。",
                    "The code of this declaration was replaced just now; reply \"my health "
                    "code\" to see the current one.", code="status_replaced") from None
        replies = colour_replies(status, done.token, hub.settings.public_url, ctx.lang,
                                 paper=proxy)
        if proxy:
            replies.append(Reply.say(_t(
                ctx.lang, "这是可打印的纸质码，请打印或转交给本人随身携带。",
                "This is a printable paper code: print it or hand it to the person.")))
        if done.official is not None:
            color, reasons, until = done.official
            replies.insert(1, Reply.say(official_note(color, reasons, until, _contact(hub),
                                                      ctx.lang)))
        return ActionResult(slots={"code_color": done.color}, replies=replies)

    async def show(ctx: ActionContext) -> ActionResult:
        svc = declarations(hub)
        now = hub.clock.now()
        replies: list[Reply] = []
        for status in (await latest_status(svc, owner_key=ctx.user_key))[:5]:
            state = status_state(status, now)
            if state == "active":
                token = await new_token(svc, status.id)
                replies += colour_replies(status, token, hub.settings.public_url, ctx.lang,
                                          paper=False)
                official = (await official_for_subject(svc, status.subject)
                            if status.source == "official" else None)
                if official is not None:
                    replies.append(Reply.say(official_note(
                        official.color, official.reasons, official.valid_until,
                        _contact(hub), ctx.lang)))
            elif state == "expired":
                replies.append(Reply.say(_t(
                    ctx.lang, f"{status.masked_name} 的健康码已于 "
                    f"{_when(status.valid_until, 'zh')} 过期，请重新进行健康申报。",
                    f"The code of {status.masked_name} expired on "
                    f"{_when(status.valid_until, 'en')}; please declare again.")))
        if not replies:
            replies.append(Reply.say(_t(
                ctx.lang, "您还没有有效的健康码。回复「健康申报」即可申领。",
                "You have no current health code. Reply \"health declaration\" to get one.")))
        return ActionResult(replies=replies)

    registry.register("declarations.prepare", prepare, sets={"travel_options"},
                      description="Offer the travel areas listed in risk_rules.yml.",
                      needs_lock=False)
    registry.register("declarations.submit", submit, sets={"code_color"},
                      description="Assess, store (sealed) and issue a health code.")
    registry.register("declarations.show", show, description="Show the current health code.")


async def code_image(hub: Hub, path: str) -> bytes | None:
    """PNG bytes of ``/code/<token>/{qr,paper}.png`` while the code is active, else None
    (a media source, registered by ``bot/features.py``: WeChat uploads code images).

    A read, like the GETs of the same paths: ``qr`` is the live code of the current slot
    (signed, never stored), ``paper`` the paper code already issued (None if there is
    none); nothing is written."""
    match = MEDIA_PATH.match(path.split("?", 1)[0])
    if not match:
        return None
    svc = declarations(hub)
    status = await status_by_token(svc, match.group(1))
    if status is None or status_state(status, hub.clock.now()) != "active":
        return None
    if match.group(2) == "paper":
        paper = await health_codes.latest_paper_code(svc, status)
        if paper is None:
            return None
        text = paper.text
    else:
        try:
            text = (await health_codes.live_code(svc, status)).text
        except health_codes.StatusNotActive:  # revoked meanwhile
            return None
    return codes.render_png(text).data
