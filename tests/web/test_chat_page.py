"""The chat page in real Chromium: a whole community screening, a reload mid-flow, a
shared location ending in a pickup QR image, and queued messages arriving live."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import sqlalchemy as sa
from playwright.async_api import async_playwright

from bot.clock import CITY_TZ, FixedClock
from bot.db.models import ApiSession, Record
from bot.messages import Reply
from bot.privacy import token_hash
from bot.web.app import init_app
from bot.web.keys import HUB_KEY
from tests.roles_support import grant
from tests.web.browser import ARGS, chromium_path


async def as_worker(page, hub) -> None:  # type: ignore[no-untyped-def]
    """The page's own sessions belong to a community worker (the screening flow is
    theirs): each ``POST /api/v1/sessions`` the page makes is answered as usual, and its
    ``user_key`` is granted the role before the page sees the token, so before the
    greeting that draws the menu."""
    async def granted(route):  # type: ignore[no-untyped-def]
        response = await route.fetch()
        await grant(hub, (await response.json())["user_key"])
        await route.fulfill(response=response)

    await page.route("**/api/v1/sessions", granted)


async def test_whole_screening_in_the_browser(sqlite_url, tmp_path, aiohttp_server):
    from tests.conftest import make_settings

    path = chromium_path()
    app = init_app(make_settings(sqlite_url, tmp_path), background=False)
    server = await aiohttp_server(app)
    base = f"http://127.0.0.1:{server.port}"
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=path, args=ARGS)
        page = await browser.new_page(viewport={"width": 390, "height": 800}, locale="zh-CN")
        await as_worker(page, app[HUB_KEY])
        await page.goto(base + "/chat")
        bot = page.locator(".row.bot .bubble")
        await bot.first.wait_for()
        assert "通管" in await bot.first.inner_text()
        await page.locator(".options button", has_text="楼栋排查登记").first.click()

        async def answer(text: str, expect: str) -> None:
            count = await bot.count()
            await page.fill("#text", text)
            await page.press("#text", "Enter")
            await page.locator(".row.bot .bubble").nth(count).wait_for()
            await page.wait_for_function(
                "([n, t]) => [...document.querySelectorAll('.row.bot .bubble')].slice(n)"
                ".some(b => b.innerText.includes(t))", arg=[count, expect])

        await page.wait_for_function("document.body.innerText.includes('在哪个区')")
        count = await bot.count()
        await page.locator(".options button", has_text="武昌区").last.click()  # the city's list
        await page.wait_for_function(
            "n => [...document.querySelectorAll('.row.bot .bubble')].slice(n)"
            ".some(b => b.innerText.includes('哪个街道和社区'))", arg=count)
        await answer("中南路街 东湖社区", "楼栋号")
        await answer("6号楼", "哪个单元")
        await answer("跳过", "走访")
        await answer("二十", "在家")
        await answer("45", "居家隔离")
        await answer("1", "外地返回")
        await answer("0", "备注")
        await answer("无", "请核对")
        count = await bot.count()
        await page.locator(".options button", has_text="确认").last.click()
        await page.wait_for_function(
            "n => [...document.querySelectorAll('.row.bot .bubble')].slice(n)"
            ".some(b => b.innerText.includes('已登记 6号楼'))", arg=count)
        await page.screenshot(path=str(tmp_path / "chat.png"))
        await browser.close()
    async with app[HUB_KEY].db.sessions() as session:
        assert await session.scalar(sa.select(sa.func.count()).select_from(Record)) == 1


async def page_user(hub, page) -> str:  # type: ignore[no-untyped-def]
    """The API user behind the page's session token."""
    token = await page.evaluate("sessionStorage.getItem('tg_token')")
    async with hub.db.sessions() as session:
        return (await session.scalars(sa.select(ApiSession.user_id).where(
            ApiSession.token_hash == token_hash(token)))).one()


def texts(selector: str) -> str:
    return f"[...document.querySelectorAll('{selector}')].map(b => b.innerText)"


async def test_reload_mid_flow_redraws_and_keeps_the_question_open(sqlite_url, tmp_path,
                                                                   aiohttp_server):
    from tests.conftest import make_settings

    app = init_app(make_settings(sqlite_url, tmp_path), background=False)
    server = await aiohttp_server(app)
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=chromium_path(), args=ARGS)
        page = await browser.new_page(viewport={"width": 390, "height": 800}, locale="zh-CN")
        await as_worker(page, app[HUB_KEY])
        await page.goto(f"http://127.0.0.1:{server.port}/chat")
        await page.locator(".options button", has_text="楼栋排查登记").first.click()
        for text, then in (("武昌区", "哪个街道和社区"), ("中南路街", "楼栋号"),
                           ("6号楼", "哪个单元")):
            await page.wait_for_function("document.body.innerText.includes('在哪个区')")
            await page.fill("#text", text)
            await page.press("#text", "Enter")
            await page.wait_for_function(f"document.body.innerText.includes('{then}')")
        bots, mine = await page.evaluate(texts(".row.bot .bubble")), \
            await page.evaluate(texts(".row.me .bubble"))
        assert mine == ["楼栋排查登记", "武昌区", "中南路街", "6号楼"]

        await page.reload()
        await page.wait_for_function(
            "n => document.querySelectorAll('.row.bot .bubble').length >= n", arg=len(bots))
        await page.wait_for_timeout(500)  # a greeting, if one were sent, would land now
        assert await page.evaluate(texts(".row.bot .bubble")) == bots
        assert await page.evaluate(texts(".row.me .bubble")) == mine

        await page.fill("#text", "跳过")  # still the unit question: skipping it moves on
        await page.press("#text", "Enter")
        await page.wait_for_function("document.body.innerText.includes('本次走访了多少户')")
        user = await page_user(app[HUB_KEY], page)

        # An unknown or expired token: a new session, greeted as a first visit.
        await page.evaluate("sessionStorage.setItem('tg_token', 'expired-or-unknown')")
        await page.reload()
        await page.wait_for_function("document.body.innerText.includes('您好，这里是通管')")
        assert await page.evaluate(texts(".row.me .bubble")) == []
        assert await page.evaluate("sessionStorage.getItem('tg_token')") not in (
            "expired-or-unknown", None)
        await browser.close()
    turns = await app[HUB_KEY].engine.store.recent_turns(f"web:{user}")
    assert [t.inbound.get("text") for t in turns] == ["你好", "楼栋排查登记", "武昌区",
                                                      "中南路街", "6号楼", "跳过"]


async def test_location_share_and_pickup_image(sqlite_url, tmp_path, aiohttp_server):
    from bot.services.reservations.demo import seed_demo
    from tests.conftest import make_settings

    # Tuesday 4 February 2020, 09:00 in Shanghai: reservations are open.
    clock = FixedClock(datetime(2020, 2, 4, 9, 0, tzinfo=CITY_TZ).astimezone(UTC))
    app = init_app(make_settings(sqlite_url, tmp_path), clock=clock, background=False)
    server = await aiohttp_server(app)
    await seed_demo(app[HUB_KEY])
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=chromium_path(), args=ARGS)
        context = await browser.new_context(
            viewport={"width": 390, "height": 800}, locale="zh-CN",
            geolocation={"latitude": 30.5402, "longitude": 114.3332},  # by 马应龙 Zhongnan Rd
            permissions=["geolocation"])
        page = await context.new_page()
        await page.goto(f"http://127.0.0.1:{server.port}/chat?start=supply_reservation")
        await page.locator(".options button", has_text="成人口罩").first.click()
        await page.wait_for_function("document.body.innerText.includes('请发送您的位置')")
        assert page.url.endswith("/chat")  # the deep link starts its flow once only
        await page.click("#loc")
        await page.wait_for_function("document.body.innerText.includes('离您最近')")
        assert "📍 30.5402,114.3332" in await page.evaluate(texts(".row.me .bubble"))
        stores = (await page.evaluate(texts(".row.bot .bubble")))[-2]
        assert stores.splitlines()[1].startswith("1. 马应龙大药房（中南路店）"), stores
        assert "0.0 km" in stores.splitlines()[1]

        for answer, expect in (("1", "您为谁预约"), ("1", "您的姓名"), ("张三明", "18位身份证号"),
                               ("11010519491231002X", "请核对预约信息")):
            await page.fill("#text", answer)
            await page.press("#text", "Enter")
            await page.wait_for_function(f"document.body.innerText.includes('{expect}')")
        await page.locator(".options button", has_text="确认").last.click()
        image = page.locator(".bubble[data-type=image] img")
        await image.wait_for()
        assert "/pickup/" in (await image.get_attribute("src") or "")
        await page.wait_for_function(
            "document.querySelector('.bubble[data-type=image] img').naturalWidth > 100")
        user = await page_user(app[HUB_KEY], page)
        await browser.close()
    turns = await app[HUB_KEY].engine.store.recent_turns(f"web:{user}")
    shared = [t.inbound["location"] for t in turns if t.inbound["kind"] == "location"]
    assert shared == [{"lat": 30.5402, "lng": 114.3332, "label": ""}]


async def test_queued_message_appears_live_and_is_acknowledged(sqlite_url, tmp_path,
                                                               aiohttp_server):
    from tests.conftest import make_settings

    app = init_app(make_settings(sqlite_url, tmp_path), background=False)
    server = await aiohttp_server(app)
    hub = app[HUB_KEY]
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=chromium_path(), args=ARGS)
        page = await browser.new_page(viewport={"width": 390, "height": 800}, locale="zh-CN")
        lost: list[object] = []

        async def lose_first_delivery(route):  # type: ignore[no-untyped-def]
            """The server answers, the page never gets it (a dropped connection)."""
            response = await route.fetch(timeout=60_000)
            if not lost and (await response.json())["messages"]:
                lost.append(await response.json())
                await route.abort()
            else:
                await route.fulfill(response=response)

        await page.route("**/api/v1/messages*", lose_first_delivery)
        await page.goto(f"http://127.0.0.1:{server.port}/chat")
        await page.locator(".row.bot .bubble").first.wait_for()
        user = await page_user(hub, page)
        await hub.outbox.enqueue(channel="web", user_id=user, replies=[
            Reply.say("审核结果：通过"), Reply(type="link", text="查看详情", url="/chat")])
        await hub.outbox.enqueue(channel="web", user_id=user, replies=[Reply.say("开奖结果：中签")])
        await page.wait_for_function("document.body.innerText.includes('审核结果：通过')",
                                     timeout=20_000)
        await page.wait_for_function("document.body.innerText.includes('开奖结果：中签')")
        assert lost  # the first delivery was lost, and the messages came again
        for _ in range(50):  # the page's next poll acknowledges both
            if (await hub.outbox.counts()) == {"sent": 2}:
                break
            await asyncio.sleep(0.2)
        assert await hub.outbox.counts() == {"sent": 2}
        bots = await page.evaluate(texts(".row.bot .bubble"))
        assert bots.count("开奖结果：中签") == 1 and bots.count("审核结果：通过") == 1
        assert await page.locator(".bubble[data-type=link] a", has_text="查看详情").count() == 1
        await page.unroute_all(behavior="ignoreErrors")
        await browser.close()
