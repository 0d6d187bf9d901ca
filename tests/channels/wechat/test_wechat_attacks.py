"""Found when probed as an attacker would (issue 17 §4): plaintext in safe mode, a signed
query replayed with another body, a DOCTYPE hidden from a text filter; and the XML parser
fuzzed."""

from __future__ import annotations

import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from wechat_support import Running

from bot.channels.wechat.errors import CallbackRejected
from bot.channels.wechat.wire import parse_xml, sign


async def _post(run: Running, query: dict[str, str], body: bytes) -> tuple[int, str]:
    async with run.client() as http, http.post(run.url(), params=query, data=body) as resp:
        return resp.status, await resp.text()


def _plain_query(run: Running, nonce: str = "777") -> dict[str, str]:
    ts = str(int(time.time()))
    return {"timestamp": ts, "nonce": nonce,
            "signature": sign(run.settings.wechat.token, ts, nonce), "openid": "o_x"}


def _text(openid: str, content: str, msg_id: int) -> bytes:
    return (f"<xml><ToUserName>gh</ToUserName><FromUserName>{openid}</FromUserName>"
            f"<CreateTime>{int(time.time())}</CreateTime><MsgType>text</MsgType>"
            f"<Content>{content}</Content><MsgId>{msg_id}</MsgId></xml>").encode()


async def test_safe_mode_refuses_plaintext_callbacks(running: Running) -> None:
    assert running.settings.wechat.aes_key  # the server is in safe mode
    status, text = await _post(running, _plain_query(running), _text("o_x", "hi", 1))
    assert status == 403 and text == "plaintext_refused"
    assert running.engine.seen == []
    assert (await running.emulator("safe").text("o_x", "hi")).text == "echo:hi"


@pytest.mark.parametrize("mode", ["plain"])
async def test_a_signed_query_cannot_be_replayed_with_another_body(running: Running,
                                                                   mode: str) -> None:
    query = _plain_query(running, nonce="4242")
    first = _text("o_victim", "hello", 10)
    assert (await _post(running, query, first))[0] == 200
    assert (await _post(running, query, first))[0] == 200  # WeChat's own retry: same body
    forged = _text("o_attacker", "cancel everything", 11)
    status, text = await _post(running, query, forged)
    assert status == 403 and text == "replayed_nonce"
    assert [i.user_id for i in running.engine.seen] == ["o_victim"]


@pytest.mark.parametrize("body", [
    # a text filter that strips CDATA sections first saw no DOCTYPE here
    b'<!-- <![CDATA[ --><!DOCTYPE xml [<!ENTITY e "EXPANDED">]><!-- ]]> -->'
    b"<xml><MsgType>text</MsgType><FromUserName>o</FromUserName><Content>&e;</Content></xml>",
    b'<?xml version="1.0"?>\n<!DOCTYPE xml><xml><MsgType>text</MsgType></xml>',
])
def test_a_doctype_is_refused_by_the_parser_wherever_it_hides(body: bytes) -> None:
    with pytest.raises(CallbackRejected) as info:
        parse_xml(body)
    assert info.value.event == "xml_entities"


_names = st.sampled_from(["ToUserName", "FromUserName", "MsgType", "Content", "MsgId",
                          "Event", "EventKey", "A"])
_texts = st.text(st.characters(blacklist_categories=("Cs",)), max_size=30)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=300) | st.builds(
    lambda parts, tail: ("<xml>" + "".join(f"<{n}><![CDATA[{t}]]></{n}>" for n, t in parts)
                         + tail).encode(errors="surrogatepass"),
    st.lists(st.tuples(_names, _texts), max_size=6),
    st.sampled_from(["</xml>", "", "<!DOCTYPE x>", "</xml><!-- -->", "<xml>"])))
def test_parse_xml_returns_a_dict_or_refuses(raw: bytes) -> None:
    try:
        value = parse_xml(raw)
    except CallbackRejected as err:
        assert err.status == 400 and err.event in ("bad_xml", "xml_entities")
    else:
        assert isinstance(value, dict)
