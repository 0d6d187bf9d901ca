"""The firm's JSON API: filing, field errors, one open filing per USCC, resubmission,
withdrawal; nothing half-written on any error."""

from __future__ import annotations

import json
from typing import Any

import pytest
import sqlalchemy as sa
from filing_support import body, check_char, make_uscc
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.db.models import OutboxMessage
from bot.db.models.filings import Filing, FilingHistory


async def count(api: Any, model: Any) -> int:
    async with api.hub.db.sessions() as session:
        return int(await session.scalar(sa.select(sa.func.count()).select_from(model)))


async def test_file_read_mine_and_the_contact_is_sealed(api) -> None:
    resp = await api.client.post("/api/v1/filings", json=body(), headers=api.resident)
    assert resp.status == 201, await resp.text()
    data = await resp.json()
    assert data["state"] == "submitted" and data["uscc"] == make_uscc(1)
    assert isinstance(data["id"], int) and data["version"] == 1
    mine = await (await api.client.get("/api/v1/filings/mine", headers=api.resident)).json()
    [item] = mine["items"]
    assert item["id"] == data["id"] and item["contact_name"] == "王小明"
    assert item["contact_phone"] == "13812345678" and item["state"] == "submitted"
    assert [h["state"] for h in item["history"]] == ["submitted"]
    async with api.hub.db.sessions() as session:
        row = await session.get(Filing, data["id"])
    assert row is not None and "王小明".encode() not in row.private
    assert b"13812345678" not in row.private
    other, _ = await api.new_resident()
    theirs = await (await api.client.get("/api/v1/filings/mine", headers=other)).json()
    assert theirs["items"] == []


async def test_without_a_resident_session_401(api) -> None:
    for method, path in (("POST", "/api/v1/filings"), ("GET", "/api/v1/filings/mine"),
                         ("PUT", "/api/v1/filings/1"), ("POST", "/api/v1/filings/1/withdraw")):
        resp = await api.client.request(method, path, json=body(),
                                        headers={"Authorization": "Bearer nope"})
        assert resp.status == 401, (method, path)
        assert (await api.client.request(method, path, json=body())).status == 401


BAD_FIELDS = [
    ("firm_name", "", "required"), ("firm_name", "x", "length"),
    ("uscc", "12345", "uscc_length"), ("uscc", "91420100000000001I", "uscc_characters"),
    ("industry", "mining", "not_allowed"), ("district", "pudong", "not_allowed"),
    ("street", None, "required"), ("address", "短", "length"),
    ("contact_name", 7, "required"), ("contact_phone", "12345", "phone"),
    ("staff_total", 0, "out_of_range"), ("staff_total", "100", "not_integer"),
    ("staff_total", True, "not_integer"), ("staff_returning", 101, "over_total"),
    ("staff_origins", "湖北", "not_list"), ("staff_risk_14d", -1, "out_of_range"),
    ("isolation_rooms", 1.5, "not_integer"), ("prevention_lead", "", "required"),
    ("supplies_days", {"masks": 1}, "bad_supplies"), ("planned_start", "2020-02-09", "in_past"),
    ("planned_start", "17 Feb", "not_date"), ("capacity_percent", 101, "out_of_range"),
    ("needs", ["gold"], "not_allowed"), ("needs", ["hiring", "hiring"], "not_allowed"),
    ("pledge", False, "pledge"), ("pledge", "yes", "pledge"),
]


@pytest.mark.parametrize("field,value,code", BAD_FIELDS)
async def test_each_bad_field_is_named_in_zh_and_en(api, field, value, code) -> None:
    resp = await api.client.post("/api/v1/filings", json=body(**{field: value}),
                                 headers=api.resident)
    assert resp.status == 422
    data = await resp.json()
    assert data["error"] == "invalid" and data["message"] and data["message_zh"]
    [error] = data["errors"]
    assert (error["field"], error["error"]) == (field, code)
    assert error["message"] and error["message_zh"] and error["message"] != error["message_zh"]


async def test_several_bad_fields_one_error_each_and_nothing_written(api) -> None:
    bad = body(uscc=make_uscc(1)[:-1] + ("0" if make_uscc(1)[-1] != "0" else "1"),
               capacity_percent=0, needs="all", extra=1,
               staff_origins=[{"province": "湖北", "city": "武汉", "count": 0}],
               supplies_days={"masks": -1, "thermometers": 3, "disinfectant": "x"})
    resp = await api.client.post("/api/v1/filings", json=bad, headers=api.resident)
    assert resp.status == 422
    fields = {(e["field"], e["error"]) for e in (await resp.json())["errors"]}
    assert fields == {("uscc", "uscc_check"), ("capacity_percent", "out_of_range"),
                      ("needs", "not_allowed"), ("extra", "unknown_field"),
                      ("staff_origins[0].count", "out_of_range"),
                      ("supplies_days.masks", "out_of_range"),
                      ("supplies_days.disinfectant", "not_integer")}
    assert await count(api, Filing) == await count(api, FilingHistory) == 0
    assert await count(api, OutboxMessage) == 0


async def test_uscc_check_character_both_ways(api) -> None:
    first = "91420100MA4K12345"
    good = first + check_char(first)
    spaced = " ".join([good[:6].lower(), good[6:12], good[12:]])
    resp = await api.client.post("/api/v1/filings", json=body(uscc=spaced),
                                 headers=api.resident)
    assert resp.status == 201 and (await resp.json())["uscc"] == good
    for wrong in (c for c in "0123456789ABCDEFGHJKLMNPQRTUWXY" if c != good[-1]):
        resp = await api.client.post("/api/v1/filings", json=body(2, uscc=first + wrong),
                                     headers=api.resident)
        assert resp.status == 422
        assert (await resp.json())["errors"][0]["error"] == "uscc_check"


async def test_a_second_open_filing_for_the_uscc_points_to_the_first(api) -> None:
    first = await (await api.client.post("/api/v1/filings", json=body(),
                                         headers=api.resident)).json()
    other, _ = await api.new_resident()
    resp = await api.client.post("/api/v1/filings", json=body(firm_name="别的名字"),
                                 headers=other)
    assert resp.status == 409
    data = await resp.json()
    assert data["error"] == "open_filing_exists" and data["open_filing_id"] == first["id"]
    assert str(first["id"]) in data["message"] and str(first["id"]) in data["message_zh"]
    assert await count(api, Filing) == 1
    # withdrawn: closed, so the firm may file again
    resp = await api.client.post(f"/api/v1/filings/{first['id']}/withdraw",
                                 headers=api.resident)
    assert resp.status == 200 and (await resp.json())["state"] == "withdrawn"
    again = await api.client.post("/api/v1/filings", json=body(), headers=other)
    assert again.status == 201


async def test_only_the_firm_withdraws_and_only_an_open_filing(api) -> None:
    filed = await (await api.client.post("/api/v1/filings", json=body(),
                                         headers=api.resident)).json()
    other, _ = await api.new_resident()
    path = f"/api/v1/filings/{filed['id']}/withdraw"
    assert (await api.client.post(path, headers=other)).status == 404
    assert (await api.client.post(path, headers=api.resident)).status == 200
    resp = await api.client.post(path, headers=api.resident)
    assert resp.status == 409 and (await resp.json())["error"] == "not_open"


async def test_resubmitting_needs_a_returned_filing(api) -> None:
    filed = await (await api.client.post("/api/v1/filings", json=body(),
                                         headers=api.resident)).json()
    resp = await api.client.put(f"/api/v1/filings/{filed['id']}", json=body(),
                                headers=api.resident)
    assert resp.status == 409 and (await resp.json())["error"] == "not_returned"


TEXT = st.text(st.characters(blacklist_categories=("Cs",)), max_size=30)  #: JSON-safe
FUZZ_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-10, 10 ** 7)
    | st.floats(allow_nan=False, allow_infinity=False) | TEXT,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(TEXT, inner,
                                                                max_size=3), max_leaves=8)


async def test_fuzzed_bodies_never_break_the_api_nor_half_write(api) -> None:
    examples: list[tuple[int, dict[str, Any]]] = []

    @settings(max_examples=150, deadline=None,
              suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(n=st.integers(1, 10 ** 6),
           changes=st.dictionaries(st.sampled_from([*body(), "zz"]), FUZZ_VALUES, max_size=4))
    def collect(n: int, changes: dict[str, Any]) -> None:
        examples.append((n, changes))

    collect()
    created = 0
    for n, changes in examples:
        sent = body(n, **changes)
        resp = await api.client.post("/api/v1/filings", data=json.dumps(sent),
                                     headers=api.resident)
        assert resp.status in (201, 409, 422), (sent, await resp.text())
        data = await resp.json()
        if resp.status == 201:
            created += 1
        elif resp.status == 422:
            named = {e["field"].split(".")[0].split("[")[0] for e in data["errors"]}
            # an error names a changed field, or the field a change made inconsistent
            assert named <= {*changes, "staff_returning", "staff_origins", "staff_risk_14d"}
    assert len(examples) > 50
    assert await count(api, Filing) == await count(api, FilingHistory) == created
