"""A running server picks up an edit of risk_rules.yml within seconds (its background job),
keeps the last good rules on a broken edit, and derives the version from the content."""

from __future__ import annotations

import asyncio
import dataclasses
import logging

import yaml

from bot.config import DeclarationsSettings
from bot.services.declarations import declarations
from bot.services.declarations.rules import content_version
from bot.web.app import init_app
from bot.web.keys import HUB_KEY
from tests.conftest import ROOT, make_settings
from tests.services.declarations.test_declaration_flow import say, session
from tests.services.declarations.test_trust import valid_id


async def declare_travel(client, n: int, travel: str) -> str:  # type: ignore[no-untyped-def]
    headers = await session(client)
    for text in ["健康申报", "1", "张三明", valid_id(n), "13812345678", "江岸区",
                 "花桥街一村社区", "跳过", "36.5", "没有", travel, "否", "未隔离", "是"]:
        await say(client, headers, text)
    return (await say(client, headers, "确认"))[0]["text"]


async def wait_for(check, seconds: float = 10.0) -> bool:  # type: ignore[no-untyped-def]
    for _ in range(int(seconds / 0.05)):
        if check():
            return True
        await asyncio.sleep(0.05)
    return False


async def test_rules_reload_in_a_running_server(database_url, tmp_path, aiohttp_client,
                                                caplog):
    rules_file = tmp_path / "risk_rules.yml"
    data = yaml.safe_load((ROOT / "risk_rules.yml").read_text(encoding="utf-8"))
    rules_file.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    settings = dataclasses.replace(
        make_settings(database_url, tmp_path), risk_rules_file=rules_file,
        declarations=DeclarationsSettings(rules_reload_seconds=0.1))
    client = await aiohttp_client(init_app(settings, background=True))
    svc = declarations(client.app[HUB_KEY])
    first = svc.rules.version
    assert first == content_version(data)
    assert "黄码" in await declare_travel(client, 1, "浙江温州")

    # a valid edit goes live without a restart
    for area in data["areas"]:
        if area["value"] == "wenzhou":
            area["color"] = "red"
    with caplog.at_level(logging.INFO, logger="tongguan.declarations"):
        rules_file.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
        assert await wait_for(lambda: svc.rules.version != first)
    second = svc.rules.version
    assert second == content_version(data)
    assert any("declarations.rules.reloaded" in r.message and second in r.message
               for r in caplog.records)
    reply = await declare_travel(client, 2, "浙江温州")
    assert "红码" in reply and "温州" in reply

    # a broken edit is reported; the last good rules stay live
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="tongguan.declarations"):
        rules_file.write_text("rules:\n  - {id: x, color: purple\n", encoding="utf-8")  # not YAML
        assert await wait_for(lambda: any("declarations.rules.rejected" in r.message
                                          for r in caplog.records))
        bad_rule = yaml.safe_dump({**data, "rules": [{"id": "x", "color": "purple"}]})
        rules_file.write_text(bad_rule, encoding="utf-8")
        assert await wait_for(lambda: sum("declarations.rules.rejected" in r.message
                                          for r in caplog.records) >= 2)
    assert svc.rules.version == second
    assert any("color must be one of" in r.message for r in caplog.records)
    assert "红码" in await declare_travel(client, 3, "浙江温州")

    # a hand-written version is ignored (with a message): the content decides
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="tongguan.declarations"):
        rules_file.write_text(yaml.safe_dump({**data, "version": "2099.9"},
                                             allow_unicode=True), encoding="utf-8")
        assert await wait_for(lambda: any("version_ignored" in r.message
                                          for r in caplog.records))
    assert svc.rules.version == second  # same content, same version
    data["areas"] = [a for a in data["areas"] if a["value"] != "wenzhou"]
    rules_file.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    assert await wait_for(lambda: svc.rules.version == content_version(data))
    assert "绿码" in await declare_travel(client, 4, "其他地区（未列出）")
