"""The operations view's stock: a Wuhan demo store out of a product it released today is
a highlight, counted in the store's district."""

from __future__ import annotations

from datetime import date

from bot.services.ops.clock import city_day
from bot.services.ops.snapshot import read
from bot.services.ops.summary import summary
from bot.services.reservations import ReserveRequest, reserve, set_release
from bot.services.reservations.identity import fake_id


async def test_a_store_out_of_stock_is_a_highlight(sc, supply_hub) -> None:  # type: ignore[no-untyped-def]
    hub = supply_hub
    day = sc.rules.city_day(sc.clock.now())
    await set_release(sc, day, "mask-adult", "JA001", 1)
    now = sc.clock.now()
    before = summary(await read(hub, city_day(hub.settings, now), now), hub.settings)
    assert not [h for h in before["highlights"] if h["kind"] == "out_of_stock"]
    idn = fake_id(3, birth=date(1985, 6, 15), last_odd=False)  # Tuesday: even IDs
    await reserve(sc, ReserveRequest("mask-adult", "JA001", 1, "张三", idn, "web", "u3"))
    view = summary(await read(hub, city_day(hub.settings, now), now), hub.settings, "jiangan")
    [found] = [h for h in view["highlights"] if h["kind"] == "out_of_stock"]
    assert found["store"] == "JA001" and found["district"] == "jiangan"
    assert "mask-adult" in found["en"] and "已无库存" in found["zh"]
    assert view["reservations"]["reserved"] == 1
    assert {s["district"] for s in view["stock"]} == {"jiangan"}  # Wuhan stores map
