"""Fuzz the chat API with arbitrary JSON and text: never a 5xx, always JSON."""

from __future__ import annotations

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

JSON = st.recursive(st.none() | st.booleans() | st.floats(allow_nan=False) | st.integers()
                    | st.text(max_size=50),
                    lambda inner: st.lists(inner, max_size=4)
                    | st.dictionaries(st.text(max_size=10), inner, max_size=4), max_leaves=12)
BODIES = (st.builds(lambda t: {"text": t}, st.text(max_size=300))
          | st.builds(lambda lat, lng: {"location": {"lat": lat, "lng": lng}},
                      JSON, JSON)
          | st.dictionaries(st.sampled_from(["text", "choice", "start", "location", "x"]),
                            JSON, max_size=3)
          | JSON)


async def test_no_body_breaks_the_chat_api(sqlite_url, tmp_path, aiohttp_client):
    from bot.web.app import init_app
    from tests.conftest import make_settings

    client = await aiohttp_client(init_app(make_settings(sqlite_url, tmp_path),
                                           background=False))
    token = (await (await client.post("/api/v1/sessions")).json())["token"]
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    seen: list[int] = []

    @settings(max_examples=150, deadline=None,
              suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(body=BODIES | st.binary(max_size=200))
    def run(body: object) -> None:
        seen.append(0)
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        bodies.append(data)

    bodies: list[bytes] = []
    run()
    for data in bodies:
        resp = await client.post("/api/v1/chat", data=data, headers=headers)
        assert resp.status < 500, data
        payload = await resp.json()
        assert ("replies" in payload) if resp.status == 200 else ("error" in payload)
    assert len(seen) == len(bodies) > 50
