"""Helpers shared by the reservation tests (imported by name: tests are not a package)."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.clock import CITY_TZ


def city(*args: int) -> datetime:
    """A city wall-clock time as an aware UTC datetime."""
    return datetime(*args, tzinfo=CITY_TZ).astimezone(UTC)


async def release_today(sc, quantity: int = 600) -> None:  # type: ignore[no-untyped-def]
    """Adult masks released for the clock's city day (the demo stores are imported)."""
    from bot.services.reservations import ReservationError, compute_releases, set_capacity

    day = sc.rules.city_day(sc.clock.now())
    try:
        await set_capacity(sc, "mask-adult", day, quantity)
    except ReservationError as err:  # released already: nothing to do
        assert err.code == "already_released"
        return
    await compute_releases(sc, day)


async def say(client, headers, body) -> list[dict]:  # type: ignore[no-untyped-def]
    """One chat turn through the chat API; the replies."""
    resp = await client.post("/api/v1/chat", json=body, headers=headers)
    assert resp.status == 200, await resp.text()
    return (await resp.json())["replies"]


def text(replies: list[dict]) -> str:
    return "\n".join(r.get("text", "") for r in replies)


async def reserve_in_chat(client, headers, idn: str, *, family: bool = False,  # type: ignore[no-untyped-def]
                          name: str = "张三") -> str:
    """The reservation flow to its end (adult masks, the nearest store): the last replies."""
    await say(client, headers, {"text": "我要约口罩"})
    await say(client, headers, {"text": "1"})  # adult masks
    await say(client, headers, {"location": {"lat": 30.6082, "lng": 114.2952}})
    await say(client, headers, {"text": "1"})  # the nearest store
    await say(client, headers, {"text": "2" if family else "1"})  # for whom
    await say(client, headers, {"text": name})
    await say(client, headers, {"text": idn})
    return text(await say(client, headers, {"text": "确认"}))
