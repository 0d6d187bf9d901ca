"""Exactly one answer, in time: retries, slow turns, restarts, passive + pushed replies."""

from __future__ import annotations

import asyncio
import dataclasses

from wechat_support import Running, StubEngine, serve

from bot.channels.wechat.web import WECHAT_KEY
from bot.config import Settings
from bot.hub import MediaSources
from bot.messages import Inbound, Option, Reply
from bot.services.outbox import OutboxWorker


def _budget(settings: Settings, seconds: float) -> Settings:
    return dataclasses.replace(settings, wechat=dataclasses.replace(
        settings.wechat, reply_budget=seconds))


async def _drain(run: Running) -> int:
    """Deliver what the turns pushed (once they have settled: a passive answer goes out
    before its turn's settle has queued the rest)."""
    await run.server.app[WECHAT_KEY].channel.settled()  # type: ignore[index]
    return await OutboxWorker(run.hub.outbox, run.hub.deliverers).run_once()


async def test_three_retries_one_turn_identical_replies(running: Running) -> None:
    async with running.emulator("safe") as wx:
        msg = wx.message("o_a", "text", Content="hello")
        first = await wx.deliver(msg)
        again = [await wx.deliver(msg) for _ in range(3)]
    assert len(running.engine.seen) == 1
    for d in again:
        assert d.reply == first.reply and not d.failed


async def test_concurrent_retries_wait_for_the_running_turn(running: Running) -> None:
    running.engine.delay = 0.4
    async with running.emulator("compat") as wx:
        msg = wx.message("o_b", "text", Content="slowish")
        results = await asyncio.gather(*(wx.deliver(msg) for _ in range(3)))
    assert len(running.engine.seen) == 1
    assert {d.text for d in results} == {"echo:slowish"}


async def test_wechat_timeouts_and_retries_like_wechat(running: Running) -> None:
    running.engine.delay = 0.5
    async with running.emulator("safe", timeout=0.2, tries=3) as wx:
        d = await wx.text("o_c", "retry me")
    assert not d.failed and d.attempts >= 2 and d.text == "echo:retry me"
    assert len(running.engine.seen) == 1


async def test_slow_turn_answers_success_then_pushes(settings: Settings, fake_api) -> None:
    async with serve(_budget(settings, 0.3)) as run:
        run.engine.delay = 0.8
        async with run.emulator("safe") as wx:
            msg = wx.message("o_d", "text", Content="slow")
            d = await wx.deliver(msg)
            assert d.body == "success" and d.elapsed < 0.6 and not d.failed
            await asyncio.sleep(0.7)
            retry = await wx.deliver(msg)
            assert retry.body == "success"
        assert await _drain(run) == 1
    assert len(run.engine.seen) == 1
    assert fake_api.messages == [{"touser": "o_d", "msgtype": "text",
                                  "text": {"content": "echo:slow"}}]


async def test_retry_after_restart_returns_the_first_reply(settings: Settings) -> None:
    async with serve(settings) as first, first.emulator() as wx:
        msg = wx.message("o_e", "text", Content="once")
        d1 = await wx.deliver(msg)
    async with serve(settings) as second, second.emulator() as wx:
        d2 = await wx.deliver(msg)
    assert d1.reply == d2.reply and second.engine.seen == []


async def test_outbox_delivery_survives_restart(settings: Settings, fake_api) -> None:
    slow = _budget(settings, 0.2)
    async with serve(slow) as first:
        first.engine.delay = 0.5
        async with first.emulator() as wx:
            assert (await wx.text("o_f", "late")).body == "success"
    # the first process stopped before any worker ran; the reply waits in the database
    async with serve(slow) as second:
        assert await _drain(second) == 1
    assert [m["text"]["content"] for m in fake_api.messages] == ["echo:late"]


PNG = b"\x89PNG\r\n\x1a\n" + b"health-code" * 50


def _with_media(run: Running) -> list[str]:
    asked: list[str] = []

    async def media(url: str) -> bytes | None:
        asked.append(url)
        return PNG if url.startswith("/code/") else None

    run.hub.media = MediaSources()  # in place of the features' sources
    run.hub.media.register("/", media)
    return asked


async def test_texts_join_passively_images_are_pushed_and_cached(running: Running,
                                                                 fake_api) -> None:
    _with_media(running)

    def script(inbound: Inbound) -> list[Reply]:
        return [Reply.say("绿码"), Reply(type="options", text="下一步？",
                                          options=(Option("查看", "v"), Option("退出", "q"))),
                Reply(type="image", url="/code/t1/qr.png", text="健康码")]

    running.engine.script = script
    async with running.emulator("safe") as wx:
        d = await wx.text("o_g", "code")
        assert d.text == "绿码\n\n下一步？\n1. 查看\n2. 退出"
        await wx.text("o_g", "code again")
    assert await _drain(running) == 2
    images = [m for m in fake_api.messages if m["msgtype"] == "image"]
    assert len(images) == 2 and len(fake_api.uploads) == 1  # one upload, media_id reused
    assert images[0]["image"]["media_id"] == images[1]["image"]["media_id"]


async def test_image_only_reply_is_passive_when_upload_fits(running: Running,
                                                            fake_api) -> None:
    _with_media(running)
    running.engine.script = lambda _: [Reply(type="image", url="/code/t2/qr.png", text="码")]
    async with running.emulator("compat") as wx:
        d = await wx.text("o_h", "img")
    assert d.reply is not None and d.reply["MsgType"] == "image"
    assert d.reply["Image"]["MediaId"] in fake_api.media
    assert await _drain(running) == 0


async def test_image_falls_back_to_alt_text_without_media(running: Running, fake_api) -> None:
    running.engine.script = lambda _: [Reply.say("好"), Reply(type="image", url="/x.png",
                                                              text="(图片)")]
    async with running.emulator() as wx:
        assert (await wx.text("o_i", "x")).text == "好"
    await _drain(running)
    assert fake_api.messages[-1]["text"]["content"] == "(图片)"


async def test_engine_crash_gets_an_apology(running: Running) -> None:
    def boom(_: Inbound) -> list[Reply]:
        raise RuntimeError("bug")

    running.engine.script = boom
    async with running.emulator() as wx:
        d = await wx.text("o_j", "x")
    assert "繁忙" in d.text and not d.failed


async def test_unused_engine_fixture_is_fresh() -> None:
    assert StubEngine().seen == []
