"""Chat actions of the filing flows (``flows/resumption_filing.yml``,
``flows/filing_status.yml``); they call the same service as the JSON API.

- ``filings.prepare`` sets ``industry_options``, ``district_options``, ``need_options``
  and ``has_last`` / ``last_firm`` (the firm's last filing, if any).
- ``filings.prefill`` fills the answers from that filing (not the start date if it has
  passed, never the pledge).
- ``filings.origins`` checks ``origins_text`` (``湖北武汉 12, 河南信阳 3``) early.
- ``filings.submit`` files the answers, or resubmits the firm's returned filing of the
  same USCC; sets ``filing_id``, ``filing_state``, ``notice_no``.
- ``filings.status`` tells the firm where its filings stand.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from bot.actions import ActionContext, ActionRegistry, ActionResult
from bot.db.models.filings import Filing
from bot.errors import ActionError
from bot.messages import Reply
from bot.services.filings.catalog import DISTRICTS, INDUSTRIES, NEEDS
from bot.services.filings.context import Filings, filings
from bot.services.filings.errors import FilingError, FilingInvalid
from bot.services.filings.notices import notice_text
from bot.services.filings.origins import format_origins, parse_origins
from bot.services.filings.queries import latest_of
from bot.services.filings.service import resubmit, submit
from bot.services.filings.validation import SUPPLIES
from bot.services.notice_links import notice_url

if TYPE_CHECKING:
    from bot.hub import Hub

#: field → (zh, en) names in chat error messages
LABELS = {"firm_name": ("企业名称", "firm name"), "uscc": ("统一社会信用代码", "USCC"),
          "industry": ("行业", "industry"), "district": ("所在区", "district"),
          "street": ("街道", "street"), "address": ("地址", "address"),
          "contact_name": ("联系人", "contact name"), "contact_phone": ("联系电话", "phone"),
          "staff_total": ("员工总数", "staff total"),
          "staff_returning": ("返岗人数", "returning staff"),
          "staff_origins": ("员工来源", "staff origins"),
          "staff_risk_14d": ("到过风险地区的员工", "staff in risk areas"),
          "isolation_rooms": ("隔离观察室", "isolation rooms"),
          "prevention_lead": ("防疫负责人", "prevention lead"),
          "supplies_days": ("防疫物资储备", "supplies"),
          "planned_start": ("计划复工日期", "planned start"),
          "capacity_percent": ("复工产能比例", "capacity"), "needs": ("需求", "needs"),
          "pledge": ("承诺", "pledge")}


def body_from_slots(slots: Any) -> dict[str, Any]:
    """The JSON API body the chat answers amount to."""
    returning = slots.get("staff_returning") or 0
    origins = parse_origins(slots.get("origins_text") or "无") if returning else []
    return {
        **{k: slots.get(k) for k in ("firm_name", "uscc", "industry", "district", "street",
                                     "address", "contact_name", "contact_phone",
                                     "staff_total", "staff_returning", "staff_risk_14d",
                                     "isolation_rooms", "prevention_lead", "planned_start",
                                     "capacity_percent")},
        "staff_origins": origins,
        "supplies_days": {k: slots.get(f"{k}_days") for k in SUPPLIES},
        "needs": [n for n in slots.get("needs") or [] if n != "none"],
        "pledge": slots.get("pledge") is True,
    }


def _invalid(err: FilingInvalid) -> ActionError:
    zh = "；".join(f"{LABELS.get(e.field.split('.')[0].split('[')[0], (e.field,))[0]}：{e.zh}"
                  for e in err.errors)
    en = "; ".join(f"{LABELS.get(e.field.split('.')[0].split('[')[0], ('', e.field))[1]}: "
                   f"{e.en}" for e in err.errors)
    return ActionError(f"以下内容需要修改：{zh}。请回复对应序号修改。",
                       f"Please correct: {en}. Reply with the item's number to change it.",
                       code="invalid")


def _prefill(row: Filing, ctx: Filings) -> dict[str, Any]:
    details = row.details
    slots: dict[str, Any] = {
        "firm_name": row.firm_name, "uscc": row.uscc, "industry": row.industry,
        "district": row.district, "street": row.street, "address": row.address,
        "staff_total": row.staff_total, "staff_returning": row.staff_returning,
        "staff_risk_14d": row.staff_risk_14d, "isolation_rooms": row.isolation_rooms,
        "capacity_percent": row.capacity_percent,
        "needs": list(details.get("needs") or []) or ["none"],
        **{f"{k}_days": v for k, v in (details.get("supplies_days") or {}).items()},
        **ctx.hub.sealer.open(row.private, context=b"filing")}
    if row.staff_returning:
        slots["origins_text"] = format_origins(details.get("staff_origins") or [])
    if row.planned_start >= ctx.today():
        slots["planned_start"] = row.planned_start.isoformat()
    return slots


def register_actions(registry: ActionRegistry, hub: Hub) -> None:
    async def prepare(ctx: ActionContext) -> ActionResult:
        last = await latest_of(filings(hub), ctx.user_key)
        return ActionResult(slots={
            "industry_options": [c.to_option() for c in INDUSTRIES],
            "district_options": [c.to_option() for c in DISTRICTS],
            "need_options": [c.to_option() for c in NEEDS]
            + [{"value": "none", "zh": "暂无", "en": "None for now"}],
            "has_last": last is not None, "last_firm": last.firm_name if last else ""})

    async def prefill(ctx: ActionContext) -> ActionResult:
        svc = filings(hub)
        last = await latest_of(svc, ctx.user_key)
        return ActionResult(slots=_prefill(last, svc) if last else {})

    async def origins(ctx: ActionContext) -> ActionResult:
        return ActionResult(slots={"staff_origins": parse_origins(
            str(ctx.slots.get("origins_text") or ""))})

    async def do_submit(ctx: ActionContext) -> ActionResult:
        svc = filings(hub)
        body = body_from_slots(ctx.slots)
        try:
            row = await _submit_or_resubmit(svc, ctx, body)
        except FilingInvalid as err:
            raise _invalid(err) from None
        except FilingError as err:
            raise ActionError(err.zh, err.en, code=err.code) from None
        return ActionResult(
            slots={"filing_id": row.id, "filing_state": row.state, "notice_no": row.notice_no},
            replies=[Reply.say(notice_text(row, ctx.lang))])

    async def status(ctx: ActionContext) -> ActionResult:
        text = await status_text(filings(hub), ctx.user_key, ctx.lang)
        return ActionResult(replies=[Reply.say(text)])

    registry.register("filings.prepare", prepare, needs_lock=False,
                      sets={"industry_options", "district_options", "need_options",
                            "has_last", "last_firm"},
                      description="Options of the filing questions; the firm's last filing.")
    registry.register("filings.prefill", prefill, needs_lock=False,
                      sets={"firm_name", "uscc", "industry", "district", "street", "address",
                            "contact_name", "contact_phone", "staff_total", "staff_returning",
                            "origins_text", "staff_risk_14d", "isolation_rooms",
                            "prevention_lead", "masks_days", "thermometers_days",
                            "disinfectant_days", "planned_start", "capacity_percent",
                            "needs"},
                      description="Answers filled in from the firm's last filing.")
    registry.register("filings.origins", origins, needs_lock=False, sets={"staff_origins"},
                      description="Check staff origins typed as 湖北武汉 12, 河南信阳 3.")
    registry.register("filings.submit", do_submit, sets={"filing_id", "filing_state",
                                                         "notice_no"},
                      description="File the business-resumption filing (or resubmit a "
                                  "returned one).")
    registry.register("filings.status", status, needs_lock=False,
                      description="Where the firm's filings stand.")


async def _submit_or_resubmit(svc: Filings, ctx: ActionContext, body: dict[str, Any]
                              ) -> Filing:
    uscc = str(body.get("uscc") or "")
    async with svc.hub.db.sessions() as session:
        returned = await session.scalar(sa.select(Filing.id).where(
            Filing.user_key == ctx.user_key, Filing.open_uscc == uscc,
            Filing.state == "returned"))
    if returned is not None:
        return await resubmit(svc, returned, body, user_key=ctx.user_key, notify=False)
    return await submit(svc, body, user_key=ctx.user_key, lang=ctx.lang, notify=False)


async def status_text(svc: Filings, user_key: str, lang: str) -> str:
    """The firm's latest filings (up to 3), each with its state and what next."""
    async with svc.hub.db.sessions() as session:
        rows = (await session.scalars(sa.select(Filing).where(Filing.user_key == user_key)
                                      .order_by(Filing.id.desc()).limit(3))).all()
    if not rows:
        return ("您还没有提交过复工申报。回复「复工申报」开始填写。" if lang == "zh" else
                "You have not filed for resumption yet. Reply \"file resumption\" to start.")
    lines = [notice_text(row, lang, notice_url(svc.hub, row.id)) for row in rows]
    head = "您的复工申报：" if lang == "zh" else "Your resumption filings:"
    return "\n".join([head, *lines])
