"""GET /metrics: Prometheus text with the turns, their latency, verifications and the
outbox's depth; allowed by address or token, 403 otherwise, 404 when turned off."""

from __future__ import annotations

import dataclasses

from prometheus_client.parser import text_string_to_metric_families

from bot.config import Settings
from bot.messages import Reply
from bot.web.app import init_app
from bot.web.keys import HUB_KEY


async def scrape(client, **headers: str) -> dict[tuple[str, tuple], float]:  # type: ignore[no-untyped-def]
    resp = await client.get("/metrics", headers=headers)
    assert resp.status == 200, await resp.text()
    assert resp.headers["Content-Type"].startswith("text/plain; version=0.0.4")
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(await resp.text())
            for s in family.samples}


async def test_metrics_count_turns_verifications_and_the_outbox(client) -> None:  # type: ignore[no-untyped-def]
    before = await scrape(client)
    resp = await client.post("/api/v1/sessions")
    headers = {"Authorization": "Bearer " + (await resp.json())["token"]}
    for text in ("健康申报", "张三"):
        resp = await client.post("/api/v1/chat", json={"text": text}, headers=headers)
        assert resp.status == 200
    resp = await client.post("/api/v1/verify", json={"code": "TG1:NOT-A-CODE"})
    verdict = await resp.json()
    await client.app[HUB_KEY].outbox.enqueue(channel="wechat", user_id="o-test",
                                             replies=[Reply.say("later")])
    after = await scrape(client)

    def grew(name: str, **labels: str) -> float:
        key = (name, tuple(sorted(labels.items())))
        return after.get(key, 0) - before.get(key, 0)

    turns = {k[1]: v - before.get(k, 0) for k, v in after.items()
             if k[0] == "tongguan_chat_turns_total"}
    assert sum(turns.values()) == 2
    assert all(dict(labels)["channel"] == "web" for labels, n in turns.items() if n)
    assert any(dict(labels)["flow"] != "none" for labels, n in turns.items() if n)
    assert grew("tongguan_turn_seconds_count", channel="web") == 2
    assert grew("tongguan_codes_total", action="verified", result=verdict["reason"]) == 1
    assert after[("tongguan_outbox_depth", (("channel", "wechat"),))] == 1
    assert ("tongguan_outbox_oldest_age_seconds", (("channel", "wechat"),)) in after
    assert any(k[0] == "tongguan_db_pool_connections" for k in after)


async def test_metrics_need_the_token_or_an_allowed_address(settings: Settings,
                                                           aiohttp_client) -> None:  # type: ignore[no-untyped-def]
    token = "metrics-token-0123456789"
    locked = dataclasses.replace(settings, metrics=dataclasses.replace(
        settings.metrics, token=token, allow_from="10.0.0.0/8"))
    client = await aiohttp_client(init_app(locked, background=False))
    assert (await client.get("/metrics")).status == 403
    assert (await client.get("/metrics", headers={"Authorization": "Bearer wrong"})).status == 403
    await scrape(client, Authorization=f"Bearer {token}")

    off = dataclasses.replace(settings, metrics=dataclasses.replace(
        settings.metrics, token="", allow_from=""))
    client = await aiohttp_client(init_app(off, background=False))
    assert (await client.get("/metrics")).status == 404
