"""Found when the API was probed as an attacker would (issue 17 §4): each of these was a
5xx, a stalled server or a poll that never ended."""

from __future__ import annotations

import asyncio
import io
import json

import pytest
from PIL import Image
from staff_support import PASSWORD

from bot.services.staff import add_account, passwords
from bot.web.auth import create_session
from bot.web.chat_api import STOPPING_KEY
from bot.web.keys import HUB_KEY


def _blank_png(width: int, height: int) -> bytes:
    out = io.BytesIO()
    Image.new("1", (width, height), 1).save(out, format="PNG", optimize=True)
    return out.getvalue()


@pytest.mark.parametrize("side", [12_000, 20_000])
async def test_image_bombs_are_refused_before_decoding(client, side: int) -> None:
    bomb = _blank_png(side, side)
    assert len(bomb) < 256 * 1024  # small on the wire, gigabytes decoded
    resp = await client.post("/api/v1/verify", data=bomb,
                             headers={"Content-Type": "image/png"})
    assert resp.status == 413
    body = await resp.json()
    assert body["error"] == "image_too_large" and body["message_zh"]


async def test_image_decoding_is_bounded(client) -> None:
    from bot.web.codes_api import DECODER_KEY

    decoder = client.server.app[DECODER_KEY]
    decoder.inside = decoder.room  # as if that many images were being decoded already
    resp = await client.post("/api/v1/verify", data=_blank_png(50, 50),
                             headers={"Content-Type": "image/png"})
    assert resp.status == 503 and resp.headers["Retry-After"] == "1"
    decoder.inside = 0
    ok = await client.post("/api/v1/verify", data=_blank_png(50, 50),
                           headers={"Content-Type": "image/png"})
    assert ok.status == 200 and (await ok.json())["reason"] == "no_qr"


@pytest.mark.parametrize("wait", ["nan", "inf", "-inf", "-1", "26", "1e999", "0x10", ""])
async def test_wait_must_be_a_finite_number_in_range(client, wait: str) -> None:
    token, _ = await create_session(client.server.app[HUB_KEY])
    resp = await client.get(f"/api/v1/messages?wait={wait}",
                            headers={"Authorization": f"Bearer {token}"})
    assert resp.status == 422 and (await resp.json())["error"] == "invalid"


async def test_a_long_poll_stops_when_the_client_leaves(client) -> None:
    hub = client.server.app[HUB_KEY]
    token, _ = await create_session(hub)
    polls = 0
    pull = hub.outbox.pull

    async def counting(*args, **kw):  # type: ignore[no-untyped-def]
        nonlocal polls
        polls += 1
        return await pull(*args, **kw)

    hub.outbox.pull = counting  # type: ignore[method-assign]
    with pytest.raises(asyncio.TimeoutError):
        await client.get("/api/v1/messages?wait=25", timeout=0.3,
                         headers={"Authorization": f"Bearer {token}"})
    await asyncio.sleep(1.2)  # past the next poll: the handler sees the closed connection
    after_leaving = polls
    await asyncio.sleep(1.5)  # three more poll intervals
    assert polls == after_leaving


async def test_shutting_down_ends_long_polls_at_once(client) -> None:
    token, _ = await create_session(client.server.app[HUB_KEY])
    poll = asyncio.create_task(client.get("/api/v1/messages?wait=25", headers={
        "Authorization": f"Bearer {token}"}))
    await asyncio.sleep(0.3)
    client.server.app[STOPPING_KEY].set()  # what the app's on_shutdown does
    # a liveness guard, not a speed limit: without the signal the poll takes 25 s
    resp = await asyncio.wait_for(poll, 10)
    assert resp.status == 200 and (await resp.json())["messages"] == []


async def test_405_keeps_its_allow_header(client) -> None:
    resp = await client.put("/api/v1/chat", json={})
    assert resp.status == 405
    assert "POST" in resp.headers["Allow"]
    assert (await resp.json())["error"] == "method_not_allowed"


def _deep(n: int) -> bytes:
    return b'{"a":' * n + b"1" + b"}" * n


async def _raw(client, request: bytes) -> tuple[int, bytes]:  # type: ignore[no-untyped-def]
    """Send bytes as they are (non-UTF-8 headers included); returns (status, body)."""
    reader, writer = await asyncio.open_connection(client.server.host, client.server.port)
    writer.write(request)
    await writer.drain()
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    length = next(int(line.split(b":")[1]) for line in head.split(b"\r\n")
                  if line.lower().startswith(b"content-length"))
    body = await reader.readexactly(length)
    writer.close()
    return status, body


async def test_bad_json_is_a_4xx_on_every_json_route(client) -> None:
    hub = client.server.app[HUB_KEY]
    token, _ = await create_session(hub)
    resident = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    bodies = [_deep(5000), _deep(40), b'{"quantity": ' + b"9" * 5000 + b"}",
              b'{"text": "\\ud800"}', b'{"code": "\\udfff"}', b"\xff\xfe{}", b"[]" * 3]
    routes = ["/api/v1/chat", "/api/v1/reservations", "/api/v1/verify", "/api/v1/status",
              "/api/v1/staff/sessions", "/api/v1/store/login", "/api/v1/checkins"]
    for route in routes:
        for raw in bodies:
            resp = await client.post(route, data=raw, headers=resident)
            assert 400 <= resp.status < 500, (route, raw[:30], resp.status)
            assert "error" in json.loads(await resp.read())


@pytest.mark.parametrize("header", [
    b"Authorization: Bearer \xff\xfe",
    b"Cookie: tg_staff=\xff\xfe\x80",
    b"Idempotency-Key: k\xe9y",
    b"X-CSRF-Token: \xc3\x28",
])
async def test_headers_that_are_not_utf8_are_a_400(client, header: bytes) -> None:
    hub = client.server.app[HUB_KEY]
    token, _ = await create_session(hub)
    for path, body in ((b"/api/v1/reservations", b"{}"), (b"/api/v1/staff/me", b""),
                       (b"/api/v1/chat", b'{"text":"hi"}')):
        method = b"GET" if path.endswith(b"/me") else b"POST"
        auth = b"" if header.startswith(b"Authorization") else \
            b"Authorization: Bearer " + token.encode() + b"\r\n"
        status, out = await _raw(client, method + b" " + path + b" HTTP/1.1\r\nHost: t\r\n"
                                 + auth + header + b"\r\nContent-Type: application/json\r\n"
                                 b"Content-Length: " + str(len(body)).encode()
                                 + b"\r\nConnection: close\r\n\r\n" + body)
        assert status == 400, (path, status, out)
        assert json.loads(out)["error"] == "bad_header"


async def test_logins_beyond_the_hashing_queue_are_refused_not_piled_up(
        client, monkeypatch: pytest.MonkeyPatch) -> None:
    hub = client.server.app[HUB_KEY]
    await add_account(hub, "busy.admin", "admin", PASSWORD)
    monkeypatch.setattr(passwords, "MAX_QUEUED", 2)
    results = await asyncio.gather(*[
        client.post("/api/v1/staff/sessions",
                    json={"username": f"nobody{i}", "password": "wrong password"},
                    headers={"X-Forwarded-For": f"10.0.0.{i}"})
        for i in range(12)])
    statuses = sorted(r.status for r in results)
    assert 503 in statuses and 401 in statuses, statuses
    busy = next(r for r in results if r.status == 503)
    assert busy.headers["Retry-After"] == "1" and (await busy.json())["error"] == "busy"
    ok = await client.post("/api/v1/staff/sessions",
                           json={"username": "busy.admin", "password": PASSWORD})
    assert ok.status == 200  # the queue drained


async def test_healthz_answers_while_logins_are_queued(client) -> None:
    hub = client.server.app[HUB_KEY]
    await add_account(hub, "queue.admin", "admin", PASSWORD)
    logins = [asyncio.create_task(client.post(
        "/api/v1/staff/sessions", json={"username": "queue.admin", "password": "nope" * 3}))
        for _ in range(20)]
    await asyncio.sleep(0.05)  # the logins are in: their hashes queue on the hash threads
    health = await client.get("/healthz")
    assert health.status == 200
    waiting = sum(not t.done() for t in logins)
    assert waiting > 0  # /healthz did not wait for the queued hashes
    await asyncio.gather(*logins)
