"""/readyz: 200 with every check ok; 503 naming the check when the database lacks a
migration the code has (and /healthz, liveness, stays 200)."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import create_async_engine

from bot.config import Settings
from bot.db.migrate import current_heads


async def test_ready_then_a_missing_migration_is_503(client, settings: Settings) -> None:
    resp = await client.get("/readyz")
    body = await resp.json()
    assert resp.status == 200, body
    assert body == {"ready": True, "checks": {"database": "ok", "migrations": "ok",
                                              "secret_key": "ok", "signing_keys": "ok"}}

    engine = create_async_engine(settings.database_url)
    async with engine.begin() as conn:  # as if 0018_jobs had never been applied
        await conn.execute(sa.text("DELETE FROM alembic_version WHERE version_num = '0018_jobs'"))
    await engine.dispose()
    assert "0018_jobs" in current_heads(settings.database_url)
    resp = await client.get("/readyz")
    body = await resp.json()
    assert resp.status == 503
    assert body["ready"] is False
    assert body["checks"]["migrations"].startswith("not applied: 0018_jobs")
    assert body["checks"]["database"] == "ok"
    assert (await client.get("/healthz")).status == 200
