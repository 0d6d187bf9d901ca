"""``tongguan wechat``: push the menu, make poster QR codes, emulate WeChat, fake its API."""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

import aiohttp

from bot.config import Settings, load_settings
from bot.errors import TongguanError


def _settings(args: argparse.Namespace) -> Settings:
    settings = load_settings(Path(args.config) if getattr(args, "config", None) else None)
    if not (settings.wechat.app_id and settings.wechat.app_secret):
        raise TongguanError("wechat: set wechat.app_id and wechat.app_secret "
                            "(TONGGUAN_WECHAT_APP_ID, TONGGUAN_WECHAT_APP_SECRET)")
    return settings


async def _with_api(settings: Settings, work):
    from bot.channels.wechat.errors import ApiError
    from bot.channels.wechat.web import build_api
    from bot.hub import open_base_hub

    async with open_base_hub(settings) as hub, aiohttp.ClientSession() as http:
        try:
            return await work(build_api(hub, http))
        except ApiError as err:
            raise TongguanError(f"wechat: {err}") from err


def _menu_push(args: argparse.Namespace) -> int:
    from bot.channels.wechat.menu import click_keys, load_menu

    settings = _settings(args)
    menu = load_menu(Path(args.file or settings.wechat.menu_file))
    asyncio.run(_with_api(settings, lambda api: api.create_menu(menu)))
    print(f"menu pushed: {len(menu['button'])} buttons, keys: {', '.join(click_keys(menu))}")
    return 0


def _qrcode(args: argparse.Namespace) -> int:
    settings = _settings(args)

    async def work(api):
        ticket = await api.create_qrcode(args.scene, permanent=args.permanent,
                                         expire_seconds=args.expire)
        return ticket, await api.show_qrcode(ticket["ticket"])

    ticket, image = asyncio.run(_with_api(settings, work))
    Path(args.out).write_bytes(image)
    life = "permanent" if args.permanent else f"expires in {ticket.get('expire_seconds')} s"
    print(f"wrote {args.out} for scene {args.scene} ({life}); url {ticket['url']}")
    return 0


async def _emulate_loop(args: argparse.Namespace, settings: Settings) -> None:
    from bot.channels.wechat.testing import WechatEmulator

    w = settings.wechat
    url = args.url or f"http://{settings.host}:{settings.port}{w.path}"
    async with WechatEmulator(url, token=w.token, app_id=w.app_id, aes_key=w.aes_key,
                              mode=args.mode) as wx:
        print(f"WeChat emulator → {url} ({args.mode} mode) as {args.openid}. "
              "Type a message; /sub, /unsub, /click KEY, /scan SCENE, /loc LAT LNG; ^D quits.")
        for line in sys.stdin:
            parts = line.strip().split(maxsplit=2)
            if not parts:
                continue
            cmd = parts[0]
            if cmd == "/sub":
                d = await wx.event(args.openid, "subscribe")
            elif cmd == "/unsub":
                d = await wx.event(args.openid, "unsubscribe")
            elif cmd in ("/click", "/scan") and len(parts) > 1:
                d = await wx.event(args.openid, "CLICK" if cmd == "/click" else "SCAN", parts[1])
            elif cmd == "/loc" and len(parts) > 2:
                d = await wx.send(args.openid, "location", Location_X=parts[1],
                                  Location_Y=parts[2], Scale="15", Label="")
            else:
                d = await wx.text(args.openid, line.strip())
            if d.failed:
                print(f"[该公众号暂时无法提供服务] ({d.problem})")
            elif d.reply is None:
                print("[success: the reply, if any, comes later by push]")
            elif d.reply.get("MsgType") == "image":
                print("[image]")
            else:
                print(d.text)


def _emulate(args: argparse.Namespace) -> int:
    settings = load_settings(Path(args.config) if getattr(args, "config", None) else None)
    if not settings.wechat.token or (args.mode != "plain" and not settings.wechat.aes_key):
        raise TongguanError("wechat: emulate needs wechat.token (and wechat.aes_key for "
                            "compat/safe modes)")
    asyncio.run(_emulate_loop(args, settings))
    return 0


def _fake_api(args: argparse.Namespace) -> int:
    from bot.channels.wechat.testing import FakeWechatApi

    settings = load_settings(Path(args.config) if getattr(args, "config", None) else None)

    async def run() -> None:
        fake = FakeWechatApi(settings.wechat.app_id, settings.wechat.app_secret)
        base = await fake.start(args.host, args.port)
        print(f"fake WeChat API at {base} (set TONGGUAN_WECHAT_API_BASE={base}); ^C stops")
        try:
            while True:
                await asyncio.sleep(3600)
        finally:
            await fake.stop()

    asyncio.run(run())
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    wechat = sub.add_parser("wechat", help="WeChat Official Account tools").add_subparsers(
        dest="wechat_cmd")
    menu = wechat.add_parser("menu", help="the account menu").add_subparsers(dest="menu_cmd")
    p = menu.add_parser("push", help="create the menu from flows/wechat_menu.yml")
    p.add_argument("--file", help="menu file (default: wechat.menu_file)")
    p.set_defaults(func=_menu_push)
    p = wechat.add_parser("qrcode", help="make a scene QR code poster image")
    p.add_argument("--scene", required=True, help="scene string, e.g. decl:store-12")
    p.add_argument("--permanent", action="store_true", help="a permanent code (limited)")
    p.add_argument("--expire", type=int, default=2592000, help="seconds (temporary codes)")
    p.add_argument("--out", required=True, help="image file to write")
    p.set_defaults(func=_qrcode)
    p = wechat.add_parser("emulate", help="chat with a running server as a WeChat user")
    p.add_argument("--mode", choices=("plain", "compat", "safe"), default="safe")
    p.add_argument("--url", help="callback URL (default: from host, port and wechat.path)")
    p.add_argument("--openid", default="o_terminal_user")
    p.set_defaults(func=_emulate)
    p = wechat.add_parser("fake-api", help="serve the local fake of WeChat's API")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8181)
    p.set_defaults(func=_fake_api)
