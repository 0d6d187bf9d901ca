"""Chatting as a community worker: the screening flow (``flows/community_screening.yml``,
``audience: [community_worker]``) starts only for a chat identity holding that role.

Tests that use the screening flow as their example grant the role to the identity they
chat as, the way an administrator would (``tongguan roles grant``), before its first
message: the engine caches a user's roles for a few seconds, so a grant made before the
first lookup is seen at once.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from bot.config import Settings
from bot.hub import Hub, open_base_hub
from bot.services.chat_roles import chat_roles

ROOT = Path(__file__).resolve().parent.parent
WORKER = "community_worker"  #: the screening flow's audience


async def grant(hub: Hub, *user_keys: str, role: str = WORKER,
                district: str | None = None) -> None:
    """Give ``role`` to each chat identity (``web:<id>``, ``wechat:<openid>``, …),
    scoped to ``district`` when given."""
    roles = chat_roles(hub)
    for user_key in user_keys:
        await roles.grant(user_key, role, by="test", district=district)


async def grant_in(settings: Settings, *user_keys: str, role: str = WORKER) -> None:
    """:func:`grant` from outside the server (its own connection to the database)."""
    async with open_base_hub(settings) as hub:
        await grant(hub, *user_keys, role=role)


async def worker_session(client, district: str | None = None) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """A new ``POST /api/v1/sessions`` whose chat identity (its ``user_key``) is a
    community worker (of ``district`` when given); returns the request headers carrying
    its token."""
    from bot.web.keys import HUB_KEY

    resp = await client.post("/api/v1/sessions")
    assert resp.status == 201, await resp.text()
    body = await resp.json()
    await grant(client.app[HUB_KEY], body["user_key"], district=district)
    return {"Authorization": "Bearer " + body["token"]}


def cli_env(settings: Settings) -> dict[str, str]:
    """The environment that points ``tongguan`` at the test's database and keys."""
    from tests.conftest import TEST_SECRET

    return {**os.environ, "PYTHONPATH": str(ROOT), "TONGGUAN_LOG_LEVEL": "ERROR",
            "TONGGUAN_DATABASE_URL": settings.database_url,
            "TONGGUAN_SECRET_KEY": TEST_SECRET, "TONGGUAN_KEYS_DIR": str(settings.keys_dir)}


def tongguan(settings: Settings, *args: str) -> subprocess.CompletedProcess[str]:
    """Run the real ``tongguan`` command line against the test's database."""
    return subprocess.run([sys.executable, "-m", "bot.cli", *args], cwd=ROOT,
                          env=cli_env(settings), capture_output=True, text=True, timeout=300)
