"""Live code page, paper page, lists and OpenAPI entries."""

from __future__ import annotations

from tests.services.declarations.test_declaration_flow import declare, session, token_of


async def test_live_page_and_lists(client):
    headers = await session(client)
    token = token_of(await declare(client, headers))
    page = await client.get(f"/code/{token}")
    assert page.status == 200 and "code.js" in await page.text()
    first = await (await client.get(f"/code/{token}/current.json")).json()
    again = await (await client.get(f"/code/{token}/current.json")).json()
    assert first["code"] == again["code"] and first["qr"].startswith("data:image/png;base64,")
    assert first["subject"] is None
    paper = await (await client.get(f"/code/{token}/current.json?kind=paper")).json()
    assert paper["kind"] == "paper" and paper["code"] != first["code"]
    assert (await client.get(f"/code/{token}/paper")).status == 200
    assert (await client.get("/api/v1/trust-list")).status == 200
    assert (await client.get("/checkpoint")).status == 200
    spec = await (await client.get("/api/v1/openapi.json")).json()
    assert "/api/v1/verify" in spec["paths"]
