"""The trust of the health declarations for rationed supplies (issue 13 §4), through the
JSON API on both databases: "for myself" only with one's own bound ID number, for others
only as a recorded proxy within the dependant limit (shared with declarations), and the
household limit per household, not per session."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from resv_helpers import reserve_in_chat

from bot.db.models.reservations import SupplyQuota
from bot.db.models.trust import HealthDependant
from bot.services.declarations.declare import Person, declare
from bot.services.declarations.register import import_register
from bot.services.declarations.service import declarations
from bot.services.reservations import balances, list_mine
from bot.services.reservations.identity import fake_id
from bot.web.auth import create_session
from bot.web.keys import HUB_KEY


def person(seed: int) -> str:
    """Tuesday 4 Feb 2020: adult masks for even IDs, disinfectant for birth years *2/*7."""
    return fake_id(seed, birth=date(1982, 3, 3), last_odd=False)


ME, GRANDMA, NEIGHBOUR = person(1), person(2), person(3)


def body(idn: str, whom: str = "self", product: str = "mask-adult", store: str = "JA001",
         name: str = "张三") -> dict[str, object]:
    return {"product": product, "store": store, "quantity": 1, "name": name,
            "id_number": idn, "for": whom}


class Session:
    """One anonymous web session (sessions are free: anyone can open many)."""

    def __init__(self, client, token: str, user_id: str) -> None:  # type: ignore[no-untyped-def]
        self.client, self.user_id = client, user_id
        self.auth = {"Authorization": f"Bearer {token}"}

    @classmethod
    async def open(cls, client) -> Session:  # type: ignore[no-untyped-def]
        token, user_id = await create_session(client.server.app[HUB_KEY])
        return cls(client, token, user_id)

    async def reserve(self, idn: str, whom: str = "self", **kw: str) -> tuple[int, dict]:
        resp = await self.client.post("/api/v1/reservations", json=body(idn, whom, **kw),
                                      headers=self.auth)
        return resp.status, await resp.json()


async def test_two_sessions_fight_over_one_id_number(api) -> None:
    client, _, sc, _ = api
    owner, intruder = await Session.open(client), await Session.open(client)
    status, made = await owner.reserve(ME)
    assert status == 201
    status, refused = await intruder.reserve(ME, store="HS001")
    assert status == 409 and refused["error"] == "bound_elsewhere"
    assert "社区工作人员" in refused["message_zh"] and "community worker" in refused["message"]
    assert f"web:{intruder.user_id}" in refused["message"]  # what the worker re-binds to
    assert ME not in refused["message"] + refused["message_zh"]
    status, refused = await intruder.reserve(ME, "other", store="HS001")
    assert status == 409 and refused["error"] == "proxy_bound"
    # the owner's reservation and quota are intact ...
    assert [m.public_id for m in await list_mine(sc, "web", owner.user_id)] == [
        made["reservation_id"]]
    assert sum(b.active for b in await balances(sc)) == 1
    async with sc.db.sessions() as s:
        assert list(await s.scalars(sa.select(SupplyQuota.used).where(
            SupplyQuota.subject == sc.sealer.blind_index("id_number", ME)))) == [1]
    # ... and their other allowances untouched: not limit_reached
    status, _ = await owner.reserve(ME, product="disinfectant")
    assert status == 201


async def test_an_id_number_bound_by_a_health_declaration(api) -> None:
    client, _, sc, _ = api
    resident, intruder = await Session.open(client), await Session.open(client)
    answers = {"district": "jiangan", "street": "花桥街", "temperature": 36.5,
               "symptoms": ["none"], "travel": ["none"], "contact": False,
               "quarantine": "free"}
    await declare(declarations(sc.hub), person=Person("李四", GRANDMA, None), answers=answers,
                  user_key=f"web:{resident.user_id}", proxy=False)
    status, refused = await intruder.reserve(GRANDMA, name="李四")  # first, with her ID
    assert status == 409 and refused["error"] == "bound_elsewhere"
    status, _ = await resident.reserve(GRANDMA, name="李四")  # she is not limit_reached
    assert status == 201


async def test_one_identity_is_myself_for_one_id_number(api) -> None:
    client, _, _, _ = api
    me = await Session.open(client)
    assert (await me.reserve(ME))[0] == 201
    status, refused = await me.reserve(NEIGHBOUR, product="disinfectant")
    assert status == 409 and refused["error"] == "other_self"
    assert "家人" in refused["message_zh"] and "family member" in refused["message"]
    status, refused = await me.reserve(ME, "other", product="disinfectant")
    assert status == 409 and refused["error"] == "proxy_self"


async def test_proxy_within_the_dependant_limit_and_over_it(api) -> None:
    client, _, sc, _ = api
    me = await Session.open(client)
    family = [person(10 + i) for i in range(6)]
    assert (await me.reserve(ME))[0] == 201
    for idn in family[:4]:  # self + 4: the household's five for adult masks
        assert (await me.reserve(idn, "other"))[0] == 201
    status, _ = await me.reserve(family[4], "other", product="disinfectant")
    assert status == 201  # the fifth dependant (declarations.max_dependants = 5)
    status, refused = await me.reserve(family[5], "other", product="disinfectant")
    assert status == 409 and refused["error"] == "too_many_dependants"
    assert "5" in refused["message"] and "5" in refused["message_zh"]
    status, _ = await me.reserve(family[0], "other", product="disinfectant")
    assert status == 201  # a dependant already recorded takes no new place
    async with sc.db.sessions() as s:  # the same rows as the declarations' proxies
        owners = list(await s.scalars(sa.select(HealthDependant.owner_key)))
    assert owners == [f"web:{me.user_id}"] * 5


async def test_dependants_are_one_limit_across_declarations_and_reservations(api) -> None:
    client, _, sc, _ = api
    me = await Session.open(client)
    answers = {"district": "jiangan", "street": "花桥街", "temperature": 36.5,
               "symptoms": ["none"], "travel": ["none"], "contact": False,
               "quarantine": "free"}
    for i in range(4):  # four family members declared for by proxy in the health flow
        await declare(declarations(sc.hub), person=Person("王五", person(20 + i), None),
                      answers=answers, user_key=f"web:{me.user_id}", proxy=True)
    assert (await me.reserve(person(20), "other"))[0] == 201  # one of them: no new place
    assert (await me.reserve(person(24), "other"))[0] == 201  # the fifth
    status, refused = await me.reserve(person(25), "other")
    assert status == 409 and refused["error"] == "too_many_dependants"


async def test_household_limit_counts_the_register_household_not_sessions(api) -> None:
    client, _, sc, _ = api
    building = [person(30 + i) for i in range(6)]
    names = ["赵甲", "赵乙", "赵丙", "赵丁", "赵戊", "赵己"]
    rows = [f"{idn},{name},江岸区,花桥街,3栋201室"
            for idn, name in zip(building, names, strict=True)]
    rows.append(f"{NEIGHBOUR},邻居,江岸区,花桥街,3栋202室")
    report = await import_register(declarations(sc.hub), "\n".join(rows) + "\n")
    assert report.imported == 7
    for idn, name in zip(building[:5], names[:5], strict=True):  # one home, five sessions
        status, _ = await (await Session.open(client)).reserve(idn, name=name)
        assert status == 201
    status, refused = await (await Session.open(client)).reserve(building[5], name=names[5])
    assert status == 409 and refused["error"] == "household_limit"
    assert refused["next_possible"] == "2020-02-14"
    assert "02月14日" in refused["message_zh"] and "Feb 14" in refused["message"]
    status, _ = await (await Session.open(client)).reserve(NEIGHBOUR, name="邻居")
    assert status == 201  # the flat next door is another household


async def test_household_limit_is_the_accounts_on_every_door(api) -> None:
    """Without a register: one account's own ID plus its dependants, whether it comes
    through the JSON API or the chat (both are this one identity)."""
    client, _, _, _ = api
    me = await Session.open(client)
    assert (await me.reserve(ME))[0] == 201
    for i in range(2):
        assert (await me.reserve(person(40 + i), "other"))[0] == 201
    for i in range(2, 4):
        done = await reserve_in_chat(client, me.auth, person(40 + i), family=True)
        assert "取货码" in done, done
    refused = await reserve_in_chat(client, me.auth, person(44), family=True)
    assert "最多为 5 人" in refused, refused
    status, again = await me.reserve(person(44), "other")
    assert status == 409 and again["error"] == "household_limit"


async def test_for_must_be_self_or_other(api) -> None:
    client, auth, _, _ = api
    resp = await client.post("/api/v1/reservations", json=body(ME, "neighbour"), headers=auth)
    assert resp.status == 422 and (await resp.json())["field"] == "for"


async def test_a_name_not_on_the_register_is_refused_and_binds_nothing(api) -> None:
    client, _, sc, _ = api
    report = await import_register(declarations(sc.hub),
                                   f"{person(60)},钱多多,江岸区,花桥街,5栋101室\n")
    assert report.imported == 1
    me = await Session.open(client)
    status, refused = await me.reserve(person(60), name="钱少少")
    assert status == 409 and refused["error"] == "name_mismatch"
    assert "居民登记" in refused["message_zh"] and "register" in refused["message"]
    status, _ = await me.reserve(person(60), name="钱 多多")  # normalised: same name
    assert status == 201
