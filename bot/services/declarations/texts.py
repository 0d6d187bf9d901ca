"""What residents are told about the trust rules, in zh and en (each text a pair).

Refusals name the way out; official statuses say why, until when and whom to contact.
No text here ever contains an ID number or a full name.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from bot.clock import CITY_TZ

COLOR_NAME = {"green": ("绿码", "green"), "yellow": ("黄码", "yellow"), "red": ("红码", "red")}

#: code → (zh, en); ``{n}`` is the dependant limit, ``{account}`` the declaring account
#: (``channel:user_id``: what a community worker re-binds the ID to)
REFUSALS: dict[str, tuple[str, str]] = {
    "bound_elsewhere": (
        "这个身份证号已由另一个微信或网页账号以「本人」身份申报并绑定，不能在这里再以本人身份"
        "申报，本次申报未提交。如果这确实是您的身份证号，请携带身份证件联系所在社区工作人员，"
        "核实后可为您重新绑定到当前账号（请向工作人员出示账号标识：{account}）。",
        "This ID number is already bound to another WeChat or web account that declared it "
        "as \"myself\", so it cannot be declared as yourself here; nothing was submitted. If "
        "it really is your ID number, take your ID card to your community worker, who can "
        "re-bind it to this account after checking your papers (show them this account's "
        "reference: {account})."),
    "other_self": (
        "您的账号已绑定了另一位「本人」的身份证号。一个账号只能为一位本人申报，本次申报未提交。"
        "为家人申报请重新开始并选择「家人」；如需更换绑定，请联系所在社区工作人员。",
        "Your account is already bound to another ID number as \"myself\". One account "
        "declares for one person as themselves; nothing was submitted. To declare for a "
        "family member, start again and choose \"A family member\"; to change the binding, "
        "contact your community worker."),
    "proxy_bound": (
        "这位居民已用本人账号完成申报绑定，其他人不能代为申报或更改其健康状态，本次申报未提交。"
        "请提醒其本人申报；如有疑问请联系所在社区工作人员。",
        "This person has declared from their own account, so nobody else can declare for "
        "them or change their health status; nothing was submitted. Ask them to declare "
        "themselves, or contact your community worker."),
    "proxy_self": (
        "这个身份证号已绑定您本人的账号，请重新开始并选择「本人」申报。本次申报未提交。",
        "This ID number is bound to your own account: start again and choose \"Myself\". "
        "Nothing was submitted."),
    "too_many_dependants": (
        "每个账号最多可为 {n} 位家人代报，您已达到上限，本次申报未提交。"
        "如需为更多人申报，请联系所在社区工作人员。",
        "One account may declare for at most {n} family members, and you have reached that "
        "limit; nothing was submitted. Your community worker can help with more people."),
    "name_mismatch": (
        "姓名与社区居民登记的信息不一致，本次申报未提交。请核对后输入与身份证一致的姓名；"
        "如登记信息有误，请联系所在社区工作人员更正。",
        "The name does not match the community's resident register; nothing was submitted. "
        "Please give the name exactly as on the ID card; if the register is wrong, ask your "
        "community worker to correct it."),
}


def when(at: datetime, lang: str) -> str:
    local = at.astimezone(CITY_TZ)
    return local.strftime("%m月%d日 %H:%M") if lang == "zh" else local.strftime("%b %d %H:%M")


def _reasons(reasons: Sequence[dict[str, str]], lang: str) -> str:
    return ("；" if lang == "zh" else "; ").join(r.get(lang, "") for r in reasons if r.get(lang))


def official_note(color: str, reasons: Sequence[dict[str, str]], until: datetime,
                  contact: tuple[str, str], lang: str) -> str:
    """Why a declaration did not lower the colour: who set it, why, until when, whom to ask."""
    zh_c, en_c = COLOR_NAME[color]
    why = _reasons(reasons, lang)
    if lang == "zh":
        return (f"此健康码为{zh_c}，由卫生健康部门设定（原因：{why or '未注明'}），"
                f"有效至 {when(until, 'zh')}。在此之前，自行申报只能提高风险等级，不能降低。"
                f"如有疑问，请联系{contact[0]}。")
    return (f"This code is {en_c} as set by the health authority (reason: "
            f"{why or 'not given'}) until {when(until, 'en')}. Until then a declaration can "
            f"raise the risk level but not lower it. Questions: contact {contact[1]}.")


def list_notice(color: str, reasons: Sequence[dict[str, str]], until: datetime,
                contact: tuple[str, str], *, proxy: bool) -> str:
    """The chat notice queued for each resident a status list changed (zh, then en)."""
    zh_c, en_c = COLOR_NAME[color]
    whom_zh = "您代报的一位家人的健康码" if proxy else "您的健康码"
    whom_en = "the code of a family member you declared for" if proxy else "your health code"
    return (f"【健康码状态变更】卫生健康部门已将{whom_zh}设为{zh_c}。"
            f"原因：{_reasons(reasons, 'zh')}。"
            f"有效至 {when(until, 'zh')}。之前的健康码已失效，回复「我的健康码」查看。"
            f"如有疑问，请联系{contact[0]}。\n"
            f"[Health code changed] The health authority has set {whom_en} to {en_c}. "
            f"Reason: {_reasons(reasons, 'en')}. Until {when(until, 'en')}. Earlier codes no "
            f"longer work; reply \"my health code\" to see the new one. Questions: contact "
            f"{contact[1]}.")
