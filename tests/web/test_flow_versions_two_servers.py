"""Two real ``tongguan serve`` processes on one PostgreSQL database: a flow published
through one is served by the other (within its poll, ``flows_poll_seconds``), and a
conversation already inside the flow goes on across the publish."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import aiohttp

from bot.hub import open_base_hub
from bot.services.staff import add_account
from tests.conftest import make_settings
from tests.staff_support import PASSWORD
from tests.web.test_two_servers import two_servers  # noqa: F401 (the fixture)

SURVEY = ("id: mask_survey\ntitle: {zh: 口罩调查, en: Mask survey}\n"
          "start: {keywords: [口罩调查]}\nsteps:\n"
          "  - collect: masks\n    type: integer\n    label: {zh: 口罩数, en: Masks}\n"
          "    prompt: {zh: 家里还有几个口罩？, en: 'How many masks?'}\n"
          "  - collect: people\n    type: integer\n    label: {zh: 人数, en: People}\n"
          "    prompt: {zh: 家里几口人？, en: 'How many people?'}\n"
          "  - action: records.save\n  - say: {zh: 谢谢, en: Thanks}\n")


async def test_a_publish_reaches_the_other_server(two_servers: list[str],  # noqa: F811
                                                  postgres_url: str, tmp_path: Path):
    async with open_base_hub(make_settings(postgres_url, tmp_path)) as hub:
        await add_account(hub, "wang", "admin", PASSWORD)
    one, other = two_servers
    async with aiohttp.ClientSession() as http:
        async with http.post(one + "/api/v1/staff/sessions",
                             json={"username": "wang", "password": PASSWORD}) as resp:
            assert resp.status == 200, await resp.text()
            admin = {"Authorization": f"Bearer {(await resp.json())['token']}"}

        async def resident() -> dict[str, str]:
            async with http.post(other + "/api/v1/sessions") as resp:
                return {"Authorization": f"Bearer {(await resp.json())['token']}"}

        async def say(headers: dict[str, str], text: str) -> str:
            async with http.post(other + "/api/v1/chat", json={"text": text},
                                 headers=headers) as resp:
                assert resp.status == 200, await resp.text()
                return " ".join(r["text"] for r in (await resp.json())["replies"])

        async def publish(text: str, base: int | None) -> float:
            async with http.post(one + "/api/v1/admin/flows/mask_survey/publish",
                                 headers=admin, json={"yaml": text, "note": "",
                                                      "base_version": base}) as resp:
                assert resp.status == 201, await resp.text()
            return time.monotonic()

        async def served(wording: str, since: float) -> float:
            """Seconds until the other server asks the survey's first question with
            ``wording`` (a probe asking again and again, one session: sessions and
            turns are rate limited)."""
            probe = await resident()
            for _ in range(55):  # a liveness guard (and under 60 turns a minute)
                if wording in await say(probe, "口罩调查"):
                    return time.monotonic() - since
                await asyncio.sleep(0.1)
            raise AssertionError(f"the other server never served {wording!r}")

        first = await served("几个口罩", await publish(SURVEY, None))
        inside = await resident()
        assert "几个口罩" in await say(inside, "口罩调查")
        assert "几口人" in await say(inside, "3")  # inside the flow on version 1
        second = await served("口罩还剩几个", await publish(
            SURVEY.replace("家里还有几个口罩？", "家中口罩还剩几个？"), 1))
        assert "谢谢" in await say(inside, "4")  # the conversation goes on after the publish
    print(f"publish → served by the other process: {first:.2f} s, {second:.2f} s")
