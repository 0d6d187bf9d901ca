"""Bad callbacks: each gets a 4xx, touches no conversation and never crashes the worker."""

from __future__ import annotations

import logging
import time

import pytest
from wechat_support import Running

from bot.channels.wechat.wire import sign


async def _post(run: Running, query: dict[str, str], body: bytes) -> tuple[int, str]:
    async with run.client() as http, http.post(run.url(), params=query, data=body) as resp:
        return resp.status, await resp.text()


def _plain_query(run: Running, **over: str) -> dict[str, str]:
    ts, nonce = str(int(time.time())), "12345"
    q = {"timestamp": ts, "nonce": nonce,
         "signature": sign(run.settings.wechat.token, ts, nonce), "openid": "o_x"}
    q.update(over)
    return q


@pytest.mark.parametrize("mode", ["plain", "safe"])
async def test_signature_and_timestamp_failures(running: Running, mode: str,
                                                caplog: pytest.LogCaptureFixture) -> None:
    wx = running.emulator(mode)
    msg = wx.message("o_x", "text", Content="hi")
    query, body = wx.signed(msg)
    caplog.set_level(logging.WARNING, "tongguan.wechat")
    assert (await _post(running, {**query, "signature": "f" * 40}, body))[0] == 403
    stale = str(int(time.time()) - running.settings.wechat.timestamp_window - 60)
    assert (await _post(running, *wx.signed(msg, timestamp=stale)))[0] == 403
    assert (await _post(running, {**query, "timestamp": "soon"}, body))[0] == 403
    if mode == "safe":
        assert (await _post(running, {**query, "msg_signature": "0" * 40}, body))[0] == 403
    assert running.engine.seen == []
    events = [r.getMessage().split()[0] for r in caplog.records]
    assert "wechat.callback.bad_signature" in events
    assert "wechat.callback.stale_timestamp" in events
    assert all(r.getMessage().count("o_x") == 0 for r in caplog.records)  # no openids logged
    ok = await wx.deliver(msg)  # the same message, signed properly, still works
    assert ok.text == "echo:hi"


@pytest.mark.parametrize("body, status", [
    (b"<xml>" + b"<A>x</A>" * 9000 + b"</xml>", 413),
    (b'<!DOCTYPE xml [<!ENTITY e SYSTEM "file:///etc/passwd">]><xml><A>&e;</A></xml>', 400),
    (b'<!DOCTYPE lol [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]><xml>&b;</xml>',
     400),
    (b"<xml><ToUserName>gh</ToUserName", 400),
    (b"<xml><ToUserName>gh</ToUserName></xml>", 400),
    (b"", 400),
])
@pytest.mark.parametrize("mode", ["plain"])  # a server without an EncodingAESKey
async def test_bad_plain_bodies(running: Running, body: bytes, status: int, mode: str) -> None:
    assert (await _post(running, _plain_query(running), body))[0] == status
    assert running.engine.seen == []


async def test_bad_encrypted_bodies(running: Running) -> None:
    wx = running.emulator("safe")
    msg = wx.message("o_x", "text", Content="hi")
    query, body = wx.signed(msg, app_id="wxNOTOURACCOUNT00")
    assert (await _post(running, query, body))[0] == 400  # wrong AppId inside
    ts, nonce = query["timestamp"], query["nonce"]
    for encrypt in ["AAAA" * 8, "%%%notbase64", ""]:
        q = {**query, "msg_signature": sign(running.settings.wechat.token, ts, nonce, encrypt)}
        doc = f"<xml><ToUserName>gh</ToUserName><Encrypt>{encrypt}</Encrypt></xml>".encode()
        assert (await _post(running, q, doc))[0] == 400, encrypt
    no_encrypt = b"<xml><ToUserName>gh</ToUserName></xml>"
    assert (await _post(running, query, no_encrypt))[0] == 400
    inner = "<!DOCTYPE x [<!ENTITY a 'b'>]><xml><MsgType>text</MsgType></xml>"
    evil = wx.envelope.seal(inner)  # type: ignore[union-attr]
    q = {**query, "msg_signature": sign(running.settings.wechat.token, ts, nonce, evil)}
    doc = f"<xml><Encrypt><![CDATA[{evil}]]></Encrypt></xml>".encode()
    assert (await _post(running, q, doc))[0] == 400
    assert running.engine.seen == []
    assert (await wx.deliver(msg)).text == "echo:hi"  # the worker is fine


async def test_not_configured_answers_404(settings, caplog: pytest.LogCaptureFixture) -> None:
    import dataclasses

    from wechat_support import serve

    off = dataclasses.replace(settings, wechat=dataclasses.replace(settings.wechat, app_id=""))
    caplog.set_level(logging.INFO, "tongguan.wechat")
    async with serve(off) as run, run.client() as http, \
            http.post(run.url(), data=b"<xml/>") as resp:
        assert resp.status == 404
    assert sum("wechat.disabled" in r.getMessage() for r in caplog.records) == 1
