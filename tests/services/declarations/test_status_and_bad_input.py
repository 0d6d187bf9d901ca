"""Admin set-status revoking codes, bad codes to /api/v1/verify, the check-in sweep."""

from __future__ import annotations

import dataclasses
import io
import os
from datetime import timedelta

import pytest
from PIL import Image

import codes
from bot.services.declarations import Person, declarations, declare
from bot.services.declarations.checkins import add_venue, record_checkin, sweep_checkins, venue_for
from bot.services.declarations.store import status_by_token
from bot.services.health_codes import live_code
from bot.web.app import init_app
from bot.web.keys import HUB_KEY
from tests.conftest import make_settings

ADMIN = "admin-token-0123456789"


@pytest.fixture
def settings(database_url, tmp_path):  # type: ignore[no-untyped-def]
    return make_settings(database_url, tmp_path, admin_token=ADMIN)


async def _declared(client):  # type: ignore[no-untyped-def]
    svc = declarations(client.app[HUB_KEY])
    out = await declare(svc, person=Person("李四", "110105194912310038", None),
                        answers={"temperature": 36.4, "symptoms": ["none"], "travel": ["none"],
                                 "contact": False, "quarantine": "free"},
                        user_key="web:x", proxy=False)
    code = await live_code(svc, await status_by_token(svc, out.token))
    return svc, out, code.text


async def test_set_status_revokes_and_reaches_verify(client):
    svc, out, text = await _declared(client)
    body = {"subject": out.subject, "color": "red", "reason_zh": "密接",
            "reason_en": "Close contact"}
    assert (await client.post("/api/v1/status", json=body)).status == 401
    for wrong in ("Bearer " + ADMIN[:-1], "Bearer " + ADMIN + "x", "Basic " + ADMIN, ADMIN):
        resp = await client.post("/api/v1/status", json=body, headers={"Authorization": wrong})
        assert resp.status == 401 and (await resp.json())["error"] == "unauthorized"
    resp = await client.post("/api/v1/status", json=body,
                             headers={"Authorization": "Bearer " + ADMIN})
    assert resp.status == 200 and (await resp.json())["revoked"] == 1
    verdict = await (await client.post("/api/v1/verify", json={"code": text})).json()
    assert verdict["reason"] == "revoked"
    bad = await client.post("/api/v1/status", json={**body, "color": "blue"},
                            headers={"Authorization": "Bearer " + ADMIN})
    assert bad.status == 422


async def test_staff_health_officer_sets_status_without_the_shared_token(settings,
                                                                        aiohttp_client):
    from staff_support import staff_login

    from bot.services.staff import read_audit
    from bot.web.keys import HUB_KEY

    off = await aiohttp_client(init_app(dataclasses.replace(settings, admin_token=""),
                                        background=False))
    svc, out, _ = await _declared(off)
    body = {"subject": out.subject, "color": "yellow", "reason_zh": "密接",
            "reason_en": "Close contact"}
    for auth in ({}, {"Authorization": "Bearer "}, {"Authorization": "Bearer " + ADMIN}):
        resp = await off.post("/api/v1/status", json=body, headers=auth)
        assert resp.status == 401 and (await resp.json())["error"] == "unauthorized"
    reviewer = await staff_login(off, "rev", "reviewer")
    assert (await off.post("/api/v1/status", json=body, headers=reviewer)).status == 403
    officer = await staff_login(off, "doc", "health_officer")
    resp = await off.post("/api/v1/status", json=body, headers=officer)
    assert resp.status == 200 and (await resp.json())["color"] == "yellow"
    entry = (await read_audit(off.server.app[HUB_KEY], limit=1))[0]
    assert (entry.actor, entry.action, entry.object) == (
        "staff:doc", "status.set", f"subject:{out.subject}")


async def test_bad_codes_get_clear_reasons(client):
    _svc, _out, text = await _declared(client)
    cases = {text[:-10]: {"bad_base45", "bad_compression"}, "XX1:" + text[4:]: {"bad_prefix"},
             "TG1:" + "A" * 5000: {"too_large"}, "TG1:%%%%": {"bad_base45"},
             "TG1:" + os.urandom(30).hex().upper(): {"bad_base45", "bad_compression"}}
    for code, reasons in cases.items():
        resp = await client.post("/api/v1/verify", json={"code": code})
        assert resp.status == 200
        assert (await resp.json())["reason"] in reasons, code[:20]
    resp = await client.post("/api/v1/verify", data=b"x" * 1_000_000,
                             headers={"Content-Type": "application/json"})
    assert resp.status == 413 and (await resp.json())["error"] == "too_large"
    buf = io.BytesIO()
    Image.new("RGB", (200, 200), "white").save(buf, "PNG")
    resp = await client.post("/api/v1/verify", data=buf.getvalue(),
                             headers={"Content-Type": "image/png"})
    assert (await resp.json())["reason"] == "no_qr"
    resp = await client.post("/api/v1/verify", data=os.urandom(500),
                             headers={"Content-Type": "image/png"})
    assert resp.status == 200 and (await resp.json())["reason"] == "bad_image"
    assert (await client.post("/api/v1/verify", json={"code": 5})).status == 422
    assert (await client.get("/code/nope/current.json")).status == 404


async def test_checkins_are_swept_after_21_days(client):
    svc, out, text = await _declared(client)
    token = await add_venue(svc, "market-1", "Market 1")
    resp = await client.post("/api/v1/checkins", json={"code": text},
                             headers={"Authorization": "Bearer " + token})
    assert (await resp.json())["recorded"] is True
    venue = await venue_for(svc, token)
    now = svc.hub.clock.now()
    await record_checkin(svc, venue, out.subject, now - timedelta(days=22))
    assert await sweep_checkins(svc, now=now) == 1
    assert await sweep_checkins(svc, now=now + timedelta(days=22)) == 1
    assert codes.Color("green")
