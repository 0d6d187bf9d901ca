"""Free text that only the NLU understands reaches the flow its intent starts.

End to end over the JSON chat API (the real app, repo flows and intents, SQLite and
PostgreSQL): no flow keyword is in these texts, so only ``start: intents`` can route them.
"""

from __future__ import annotations

import pytest

from bot.nlu.training import load_intents_dir
from bot.web.keys import HUB_KEY

NO_CODE = {"zh": "您还没有有效的健康码", "en": "You have no current health code"}
NOT_UNDERSTOOD = {"zh": "抱歉，我没有理解", "en": "Sorry, I did not understand"}

# (text, language of the replies): show_code requests that contain none of the keywords
# of flows/show_code.yml (健康码, my code, ...). "亮码" is the one from the issue.
SHOW_CODE_TEXTS = [
    ("亮码", "zh"),
    ("给我看看我的二维码吧", "zh"),
    ("show me my QR please", "en"),
]


async def _session(client) -> dict[str, str]:  # type: ignore[no-untyped-def]
    resp = await client.post("/api/v1/sessions")
    assert resp.status == 201
    return {"Authorization": "Bearer " + (await resp.json())["token"]}


async def _say(client, headers, text):  # type: ignore[no-untyped-def]
    resp = await client.post("/api/v1/chat", json={"text": text}, headers=headers)
    assert resp.status == 200, await resp.text()
    return "\n".join(r["text"] for r in (await resp.json())["replies"])


@pytest.mark.parametrize(("text", "lang"), SHOW_CODE_TEXTS)
async def test_free_text_show_code_reaches_the_flow(client, text, lang):
    hub = client.app[HUB_KEY]
    # The route must be the NLU one: no keyword matches, the intent is confident.
    assert hub.flows.by_keyword(text) is None
    parse = await hub.interpreter.parse(text)
    assert parse.intent.name == "show_code"
    assert parse.intent.confidence >= hub.settings.nlu.threshold
    headers = await _session(client)
    reply = await _say(client, headers, text)
    # declarations.show for a user who never declared: no code yet, how to get one.
    assert NO_CODE[lang] in reply, reply
    assert NOT_UNDERSTOOD[lang] not in reply


async def test_every_flow_intent_is_a_trained_intent(client):
    hub = client.app[HUB_KEY]
    trained = set(load_intents_dir(hub.settings.intents_dir).intents)
    for flow in hub.flows.flows.values():
        assert set(flow.triggers.intents) <= trained, flow.id
    assert hub.flows.by_intent("show_code").id == "show_code"
