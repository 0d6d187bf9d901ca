"""Whom a chat identity may reserve for: the binding of the health declarations.

One trust model for declarations and rationed supplies
(:mod:`bot.services.declarations.trust`): an ID number reserved (or declared) "for
myself" is bound to that chat identity (``channel:user_id``); another identity cannot
reserve for itself with it — a community worker re-binds after checking papers
(``tongguan declarations rebind``). One identity is "myself" for one ID number. For
others an identity reserves only as a recorded proxy, within
``declarations.max_dependants`` dependants shared with declarations, and never for a
person bound to their own account.

The hold statement itself checks the binding (:mod:`.holds`), so a reservation by a
bound identity or for a recorded dependant costs nothing more. Only when it does not
apply does :func:`bind` run, in the transaction of the hold that follows: it applies
the declarations' own rules (:func:`check_and_bind`, the subject row locked), so a
refused reservation binds nothing and leaves no subject behind.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.declarations.service import declarations
from bot.services.declarations.store import locked_subject_row
from bot.services.declarations.trust import (
    DECLARATION_LOOKUP,
    DeclarationRefused,
    Found,
    check_and_bind,
    check_register,
)
from bot.services.reservations.context import SupplyContext
from bot.services.reservations.errors import ReservationError

#: code (as :class:`DeclarationRefused` names it) → (zh, en); ``{n}``: the dependant
#: limit, ``{account}``: the reserving identity (what a community worker re-binds to)
REFUSALS: dict[str, tuple[str, str]] = {
    "bound_elsewhere": (
        "这个身份证号已绑定到另一个微信或网页账号（该账号曾以「本人」身份用它申报或预约），"
        "不能在这里以本人身份预约，本次预约未提交。如果这确实是您的身份证号，请携带身份证件"
        "联系所在社区工作人员，核实后可为您重新绑定到当前账号（请向工作人员出示账号标识："
        "{account}）。",
        "This ID number is bound to another WeChat or web account (one that declared or "
        "reserved with it as \"myself\"), so you cannot reserve for yourself with it here; "
        "nothing was reserved. If it really is your ID number, take your ID card to your "
        "community worker, who can re-bind it to this account after checking your papers "
        "(show them this account's reference: {account})."),
    "other_self": (
        "您的账号已绑定了另一位「本人」的身份证号。一个账号只能以本人身份为一人预约，"
        "本次预约未提交。为家人预约请重新开始并选择「家人」；如需更换绑定，请联系所在社区"
        "工作人员。",
        "Your account is already bound to another ID number as \"myself\". One account "
        "reserves as \"myself\" for one person; nothing was reserved. To reserve for a "
        "family member, start again and choose \"A family member\"; to change the binding, "
        "contact your community worker."),
    "proxy_bound": (
        "这位居民已绑定其本人的账号，只能由本人预约，其他人不能代为预约，本次预约未提交。"
        "请提醒其本人预约；如有疑问请联系所在社区工作人员。",
        "This person is bound to their own account: only they can reserve for themselves, "
        "nobody else can reserve for them, and nothing was reserved. Ask them to reserve "
        "themselves, or contact your community worker."),
    "proxy_self": (
        "这个身份证号已绑定您本人的账号，请重新开始并选择「本人」预约。本次预约未提交。",
        "This ID number is bound to your own account: start again and choose \"Myself\". "
        "Nothing was reserved."),
    "name_mismatch": (
        "姓名与社区居民登记的信息不一致，本次预约未提交。请核对后输入与身份证一致的姓名；"
        "如登记信息有误，请联系所在社区工作人员更正。",
        "The name does not match the community's resident register; nothing was reserved. "
        "Please give the name exactly as on the ID card; if the register is wrong, ask your "
        "community worker to correct it."),
    "too_many_dependants": (
        "每个账号最多可为 {n} 位家人代报或代约（健康申报和预约合计），您已达到上限，"
        "本次预约未提交。如需为更多人预约，请联系所在社区工作人员。",
        "One account may declare or reserve for at most {n} family members (health "
        "declarations and reservations together), and you have reached that limit; "
        "nothing was reserved. Your community worker can help with more people."),
}


class BindingRefused(ReservationError):
    """A reservation the binding rules refuse (HTTP 409); the texts name the way out."""

    def __init__(self, code: str, *, limit: int, account: str) -> None:
        zh, en = REFUSALS.get(code, REFUSALS["bound_elsewhere"])
        super().__init__(code, zh.format(n=limit, account=account),
                         en.format(n=limit, account=account))


async def bind(ctx: SupplyContext, session: AsyncSession, *, person_key: str, name: str,
               user_key: str, proxy: bool, now: datetime) -> None:
    """Bind ``person_key`` (an ID number's blind index) to ``user_key`` "for myself", or
    record it as a dependant of ``user_key`` (``proxy``), by the declarations' rules, in
    ``session``'s transaction (the subject row, created if new, stays locked to its end).

    Raises:
        BindingRefused: ``bound_elsewhere``, ``other_self``, ``proxy_bound``,
        ``proxy_self``, ``too_many_dependants`` or ``name_mismatch`` (nothing is written).
    """
    if ctx.hub is None:
        raise RuntimeError("binding needs the hub: build the engine with supply_context(hub)")
    svc = declarations(ctx.hub)
    # As a declaration does (declare.declare): the subject row (made, and bound "for
    # myself", if new) locked with what the binding rules read, then the rules.
    row, extra, created = await locked_subject_row(
        session, svc, person_key, now, query=DECLARATION_LOOKUP,
        params={"user_key": user_key}, bind_new_to=None if proxy else user_key)
    found = Found.of(extra)
    try:
        check_register(svc, found, name)  # with a resident register: the name must match
        await check_and_bind(session, svc, row, found, user_key=user_key, proxy=proxy,
                             now=now, created=created, reason="first reservation for myself")
    except DeclarationRefused as err:
        raise BindingRefused(err.code, limit=ctx.hub.settings.declarations.max_dependants,
                             account=user_key) from None
    await session.flush()  # the hold that follows reads the binding with plain SQL
