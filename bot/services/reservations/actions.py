"""Chat actions of the reservation flows (the only door from a flow into the engine).

Slots read: ``product``, ``location`` ({lat, lng, label} or {label}), ``store``,
``for_whom`` (``self``, the default, or ``family``), ``name`` and ``id_number`` (self) or
``member_name`` and ``member_id_number`` (family), ``quantity`` (optional),
``reservation``.
Slots set: ``product_options``, ``store_options``, ``reservation_kind``,
``reservation_id``, ``pickup_code``, ``pickup_store``, ``pickup_until``,
``my_reservations`` (options), ``reservation_count``.
"""

from __future__ import annotations

from typing import Any

from bot.actions import ActionContext, ActionRegistry, ActionResult
from bot.errors import ActionError
from bot.hub import Hub
from bot.messages import Reply
from bot.services.reservations import pickup_codes
from bot.services.reservations.binding import BindingRefused
from bot.services.reservations.context import SupplyContext, local
from bot.services.reservations.errors import InvalidInput, ReservationError
from bot.services.reservations.geo import check_point
from bot.services.reservations.residents import ReserveRequest, cancel, list_mine, reserve
from bot.services.reservations.service import supply_context
from bot.services.reservations.stores import NearStore, nearest

LEVEL = {"plenty": ("充足", "plenty"), "some": ("尚有", "some left"), "few": ("紧张", "few left"),
         "none": ("已约完", "none")}


def _t(ctx: ActionContext, zh: str, en: str) -> str:
    return zh if ctx.lang == "zh" else en


def _refuse(err: ReservationError) -> ActionError:
    # a binding refusal is final (the reservation flow ends), but for a name the register
    # spells otherwise: that one the resident can correct at the summary
    final = isinstance(err, BindingRefused) and err.code != "name_mismatch"
    return ActionError(err.zh, err.en, code=err.code, final=final)


def _store_line(i: int, s: NearStore) -> tuple[str, str]:
    zh_lvl, en_lvl = LEVEL[s.level]
    dist = f"{s.distance_km:.1f} km · " if s.distance_km is not None else ""
    return (f"{i}. {s.name}（{s.address}）{dist}余 {s.remaining} 份 · {zh_lvl}",
            f"{i}. {s.name} ({s.address}) {dist}{s.remaining} left · {en_lvl}")


async def _stores(sc: SupplyContext, ctx: ActionContext) -> list[NearStore]:
    _, pid = await sc.product(str(ctx.slots.get("product", "")))
    where: Any = ctx.slots.get("location") or {}
    point = None
    if isinstance(where, dict) and "lat" in where and "lng" in where:
        point = check_point(where["lat"], where["lng"], sc.rules.center, sc.rules.radius_km)
    place = str(where.get("label", "")) if isinstance(where, dict) else str(where)
    return await nearest(sc, pid, sc.rules.city_day(sc.clock.now()), point=point, place=place)


#: actions that only read (no lock before them; see ActionRegistry.register)
READS_ONLY = {"reservations.products", "reservations.nearest_stores",
              "reservations.list_mine"}


def register_actions(registry: ActionRegistry, hub: Hub) -> None:
    """Register ``reservations.*`` actions on ``registry``."""

    supply_context(hub)  # read the rules now: a bad rules file stops start-up, not a chat

    def sc() -> SupplyContext:
        return supply_context(hub)

    async def products(ctx: ActionContext) -> ActionResult:
        opts = [{"value": r.code, "zh": r.name["zh"], "en": r.name["en"]}
                for r in sc().rules.products.values()]
        return ActionResult(slots={"product_options": opts})

    async def nearest_stores(ctx: ActionContext) -> ActionResult:
        s = sc()
        try:
            found = await _stores(s, ctx)
        except ReservationError as err:
            raise _refuse(err) from None
        if not found:
            nxt = local(s, s.next_opening(s.clock.now()))
            raise ActionError(
                f"附近暂时没有还有货的药店。下一次放号：{nxt:%m月%d日 %H:%M}。可以换个位置再试。",
                f"No store near you has stock right now. Next release: {nxt:%b %d %H:%M}. "
                "Try another place.", code="sold_out")
        lines = [_store_line(i, f) for i, f in enumerate(found, 1)]
        opts = [{"value": f.code, "zh": f"{f.name} · 余{f.remaining}",
                 "en": f"{f.name} · {f.remaining} left"} for f in found]
        text = _t(ctx, "离您最近、还有货的药店：\n" + "\n".join(z for z, _ in lines),
                  "Nearest stores with stock:\n" + "\n".join(e for _, e in lines))
        return ActionResult(slots={"store_options": opts}, replies=[Reply.say(text)])

    async def do_reserve(ctx: ActionContext) -> ActionResult:
        s = sc()
        rule = s.rules.product(str(ctx.slots.get("product", "")))
        qty = ctx.slots.get("quantity") or (rule.max_per_reservation if rule else 1)
        proxy = ctx.slots.get("for_whom") == "family"
        prefix = "member_" if proxy else ""
        req = ReserveRequest(product=str(ctx.slots.get("product", "")),
                             store=str(ctx.slots.get("store", "")), quantity=qty,
                             name=str(ctx.slots.get(prefix + "name", "")),
                             id_number=str(ctx.slots.get(prefix + "id_number", "")),
                             channel=ctx.channel, user_id=ctx.user_id, proxy=proxy)
        try:
            out = await reserve(s, req)
        except ReservationError as err:
            if err.code != "sold_out":
                raise _refuse(err) from None
            others = [f for f in await _stores(s, ctx) if f.code != req.store][:3]
            extra = [_store_line(i, f) for i, f in enumerate(others, 1)]
            raise ActionError(err.zh + "".join("\n" + z for z, _ in extra),
                              err.en + "".join("\n" + e for _, e in extra),
                              code=err.code) from None
        if out.kind == "registered":
            at = local(s, out.draw_at) if out.draw_at else None
            text = _t(ctx, f"已登记抽签（{out.store_name}）。{at:%m月%d日 %H:%M} 开奖，"
                      "结果会发消息通知您。",
                      f"You are registered for the draw at {out.store_name}. It is drawn "
                      f"{at:%b %d %H:%M}; we will message you the result.")
            return ActionResult(slots={"reservation_kind": "registered",
                                       "reservation_id": out.public_id},
                                replies=[Reply.say(text)])
        end = local(s, out.window_end) if out.window_end else None
        shown = pickup_codes.display(out.pickup_code)
        text = _t(ctx, f"预约成功！取货码：{shown}\n药店：{out.store_name}\n"
                  f"请在 {end:%m月%d日 %H:%M} 前凭取货码和身份证领取。",
                  f"Reserved! Pickup code: {shown}\nStore: {out.store_name}\n"
                  f"Collect with the code and your ID before {end:%b %d %H:%M}.")
        return ActionResult(
            slots={"reservation_kind": "reserved", "reservation_id": out.public_id,
                   "pickup_code": shown, "pickup_store": out.store_name,
                   "pickup_until": end.isoformat() if end else ""},
            replies=[Reply.say(text), Reply(type="image", text=shown,
                                            url=f"/pickup/{out.pickup_code}/qr.png")])

    async def mine(ctx: ActionContext) -> ActionResult:
        s = sc()
        items = await list_mine(s, ctx.channel, ctx.user_id)
        if not items:
            raise ActionError("您目前没有有效的预约。", "You have no active reservations.",
                              code="none")
        opts, lines = [], []
        for i, m in enumerate(items, 1):
            rule = s.rules.product(m.product)
            name = rule.name if rule else {"zh": m.product, "en": m.product}
            end = local(s, m.window_end)
            opts.append({"value": m.public_id, "zh": f"{name['zh']} · {m.store_name}",
                         "en": f"{name['en']} · {m.store_name}"})
            lines.append(_t(ctx, f"{i}. {name['zh']} ×{m.quantity}，{m.store_name}，"
                                 f"{end:%m月%d日 %H:%M} 前领取",
                            f"{i}. {name['en']} ×{m.quantity} at {m.store_name}, "
                            f"collect before {end:%b %d %H:%M}"))
        return ActionResult(slots={"my_reservations": opts, "reservation_count": len(items)},
                            replies=[Reply.say("\n".join(lines))])

    async def _pick(ctx: ActionContext) -> Any:
        wanted = str(ctx.slots.get("reservation", ""))
        for m in await list_mine(sc(), ctx.channel, ctx.user_id):
            if m.public_id == wanted:
                return m
        raise ActionError("找不到这个预约。", "That reservation was not found.", code="not_found")

    async def show_code(ctx: ActionContext) -> ActionResult:
        m = await _pick(ctx)
        shown = pickup_codes.display(m.code)
        text = _t(ctx, f"取货码：{shown}（{m.store_name}，{m.store_address}）",
                  f"Pickup code: {shown} ({m.store_name}, {m.store_address})")
        return ActionResult(slots={"pickup_code": shown}, replies=[
            Reply.say(text), Reply(type="image", text=shown, url=f"/pickup/{m.code}/qr.png")])

    async def do_cancel(ctx: ActionContext) -> ActionResult:
        m = await _pick(ctx)
        try:
            await cancel(sc(), ctx.channel, ctx.user_id, m.public_id)
        except (ReservationError, InvalidInput) as err:
            raise _refuse(err) from None
        return ActionResult(replies=[Reply.say(_t(ctx, "已取消，库存已退回。",
                                                  "Cancelled; the stock is back on offer."))])

    for name, fn, sets, doc in (
        ("reservations.products", products, {"product_options"}, "Product options."),
        ("reservations.nearest_stores", nearest_stores, {"store_options"},
         "Nearest stores with stock for slots product + location."),
        ("reservations.reserve", do_reserve, {"reservation_kind", "reservation_id",
                                              "pickup_code", "pickup_store", "pickup_until"},
         "Reserve (or register for the draw) at store: for_whom self (name + id_number, "
         "bound to this identity) or family (member_name + member_id_number, a dependant)."),
        ("reservations.list_mine", mine, {"my_reservations", "reservation_count"},
         "The account's active reservations."),
        ("reservations.show_code", show_code, {"pickup_code"}, "Show one pickup code."),
        ("reservations.cancel", do_cancel, set(), "Cancel the reservation in slot reservation."),
    ):
        registry.register(name, fn, description=doc, sets=sets, needs_lock=name not in READS_ONLY)
