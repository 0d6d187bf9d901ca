"""The API client, shared token, deliverer error handling, menu and QR code commands."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

import aiohttp
import pytest
from wechat_support import Running, make_settings, serve

from bot.channels.wechat.menu import MenuError, load_menu
from bot.channels.wechat.testing import FakeWechatApi
from bot.channels.wechat.users import stop_pushes
from bot.channels.wechat.web import WECHAT_KEY
from bot.config import Settings
from bot.messages import Reply
from bot.services.outbox import DeliveryError

ROOT = Path(__file__).resolve().parents[3]


def _api(run: Running):  # type: ignore[no-untyped-def]
    runtime = run.server.app[WECHAT_KEY]
    return runtime.api, runtime.deliverer


async def test_token_refresh_with_two_processes(pg_url: str, fake_api: FakeWechatApi) -> None:
    settings = make_settings(pg_url, fake_api.base_url)  # type: ignore[attr-defined]
    async with serve(settings) as one, serve(settings) as two:
        (api1, _), (api2, _) = _api(one), _api(two)
        await asyncio.gather(*(api.send_text(f"o{i}", "hi") for i in range(20)
                               for api in (api1, api2)))
        assert fake_api.token_requests == 1
        fake_api.expire_tokens()  # 42001: one process refreshes, the other follows
        await asyncio.gather(*(api.send_text(f"o{i}", "again") for i in range(10)
                               for api in (api1, api2)))
        assert fake_api.token_requests == 2
        assert api1.tokens.refreshes + api2.tokens.refreshes == 2
    assert len(fake_api.messages) == 60


async def test_stale_token_codes_refresh_once(running: Running, fake_api: FakeWechatApi) -> None:
    api, _ = _api(running)
    await api.send_text("o1", "a")
    for code in (40001, 42001, 40014):
        fake_api.inject("/cgi-bin/message/custom/send", code)
        await api.send_text("o1", str(code))
    assert fake_api.token_requests == 4
    fake_api.inject("/cgi-bin/message/custom/send", 40001, times=2)  # refresh once, only once
    with pytest.raises(Exception, match="40001"):
        await api.send_text("o1", "x")


@pytest.mark.parametrize("code, retry", [(45015, False), (45009, False), (45047, False),
                                         (-1, True), (40003, False)])
async def test_deliverer_error_codes(running: Running, fake_api: FakeWechatApi, code: int,
                                     retry: bool) -> None:
    _, deliverer = _api(running)
    fake_api.inject("/cgi-bin/message/custom/send", code)
    with pytest.raises(DeliveryError) as info:
        await deliverer.deliver("o2", [Reply.say("x")])
    assert info.value.retry is retry


async def test_deliverer_drops_unsubscribed_users(running: Running,
                                                  fake_api: FakeWechatApi) -> None:
    _, deliverer = _api(running)
    await stop_pushes(running.hub.db, running.hub.clock, "o3")
    with pytest.raises(DeliveryError) as info:
        await deliverer.deliver("o3", [Reply.say("x")])
    assert info.value.retry is False and fake_api.messages == []


async def test_network_failure_is_retryable(settings: Settings) -> None:
    import dataclasses

    dead = dataclasses.replace(settings, wechat=dataclasses.replace(
        settings.wechat, api_base="http://127.0.0.1:9"))
    async with serve(dead) as run:
        _, deliverer = _api(run)
        with pytest.raises(DeliveryError) as info:
            await deliverer.deliver("o4", [Reply.say("x")])
        assert info.value.retry is True


def test_menu_file_is_valid_and_errors_are_clear(tmp_path: Path) -> None:
    menu = load_menu(ROOT / "flows" / "wechat_menu.yml")
    assert 1 <= len(menu["button"]) <= 3
    bad = tmp_path / "m.yml"
    bad.write_text("button:\n  - name: 这是一个非常长的菜单名字\n    key: k\n", encoding="utf-8")
    with pytest.raises(MenuError, match="button 1: name"):
        load_menu(bad)


async def _cli(settings: Settings, *args: str) -> tuple[int, str]:
    env = {**os.environ, "TONGGUAN_DATABASE_URL": settings.database_url,
           "TONGGUAN_SECRET_KEY": settings.secret_key,
           "TONGGUAN_WECHAT_APP_ID": settings.wechat.app_id,
           "TONGGUAN_WECHAT_APP_SECRET": settings.wechat.app_secret,
           "TONGGUAN_WECHAT_TOKEN": settings.wechat.token,
           "TONGGUAN_WECHAT_API_BASE": settings.wechat.api_base,
           "TONGGUAN_CONFIG": "/nonexistent.yml"}
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot.cli", *args, cwd=ROOT, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
    out, _ = await proc.communicate()
    return proc.returncode or 0, out.decode()


async def test_menu_push_and_qrcode_commands(settings: Settings, fake_api: FakeWechatApi,
                                             tmp_path: Path) -> None:
    code, out = await _cli(settings, "wechat", "menu", "push")
    assert code == 0, out
    assert fake_api.menus[0]["button"][0] == {"type": "click", "name": "健康申报",
                                              "key": "health_declaration"}
    png = tmp_path / "poster.png"
    code, out = await _cli(settings, "wechat", "qrcode", "--scene", "decl:store-12",
                           "--permanent", "--out", str(png))
    assert code == 0, out
    assert png.read_bytes().startswith(b"\x89PNG")
    assert fake_api.qrcodes[0] == {"action_name": "QR_LIMIT_STR_SCENE",
                                   "action_info": {"scene": {"scene_str": "decl:store-12"}}}
    fake_api.inject("/cgi-bin/menu/create", 40016)
    code, out = await _cli(settings, "wechat", "menu", "push")
    assert code == 2 and "40016" in out and "Traceback" not in out


async def test_fake_api_speaks_real_shapes(fake_api: FakeWechatApi) -> None:
    base = fake_api.base_url  # type: ignore[attr-defined]
    async with aiohttp.ClientSession() as http:
        async with http.get(base + "/cgi-bin/token", params={
                "grant_type": "client_credential", "appid": "wrong", "secret": "x"}) as r:
            assert (await r.json())["errcode"] == 40013
        async with http.post(base + "/cgi-bin/message/custom/send",
                             params={"access_token": "nope"}, json={}) as r:
            assert (await r.json())["errcode"] == 40001
