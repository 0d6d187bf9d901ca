"""Staff accounts for tests: make one and log in over HTTP."""

from __future__ import annotations

from typing import Any

from bot.services.staff import add_account
from bot.web.keys import HUB_KEY

PASSWORD = "correct horse battery"


async def staff_login(client: Any, username: str, role: str, *, district: str | None = None,
                      store: str | None = None) -> dict[str, str]:
    """Create the account and log in: returns bearer headers (no cookie is kept)."""
    await add_account(client.server.app[HUB_KEY], username, role, PASSWORD,
                      district=district, store=store)
    resp = await client.post("/api/v1/staff/sessions",
                             json={"username": username, "password": PASSWORD})
    assert resp.status == 200, await resp.text()
    client.session.cookie_jar.clear()  # the bearer token only: the caller picks the way
    return {"Authorization": f"Bearer {(await resp.json())['token']}"}
