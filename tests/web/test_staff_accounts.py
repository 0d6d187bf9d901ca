"""Staff accounts: CLI, login by cookie or bearer, CSRF, lockout, logout, the audit log,
and every staff route refusing the wrong kind of caller."""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import DBAPIError
from staff_support import PASSWORD, staff_login

from bot.clock import FixedClock
from bot.config import Settings
from bot.db.models.staff import StaffAccount
from bot.services.staff import add_account, disable_account, read_audit, reset_password
from bot.web.app import init_app
from bot.web.auth import create_session
from bot.web.keys import HUB_KEY
from bot.web.staff_auth import COOKIE, CSRF_COOKIE

START = datetime(2020, 2, 10, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


@pytest.fixture
async def staff_app(settings: Settings, aiohttp_client):  # type: ignore[no-untyped-def]
    clock = FixedClock(START)
    client = await aiohttp_client(init_app(settings, clock=clock, background=False))
    return client, clock


async def test_login_by_cookie_and_bearer_then_logout(staff_app) -> None:
    client, _ = staff_app
    hub = client.server.app[HUB_KEY]
    await add_account(hub, "wang.rev", "reviewer", PASSWORD, district="jiangan")
    resp = await client.post("/api/v1/staff/sessions",
                             json={"username": "wang.rev", "password": PASSWORD})
    assert resp.status == 200
    body = await resp.json()
    assert {k: body[k] for k in ("username", "role", "district")} == {
        "username": "wang.rev", "role": "reviewer", "district": "jiangan"}
    cookie = resp.cookies[COOKIE]
    assert cookie.value == body["token"] and cookie["httponly"] and \
        cookie["samesite"] == "Strict"
    assert resp.cookies[CSRF_COOKIE].value == body["csrf_token"]
    me = await client.get("/api/v1/staff/me")  # the cookie
    assert me.status == 200 and (await me.json())["csrf_token"] == body["csrf_token"]
    bearer = {"Authorization": f"Bearer {body['token']}"}
    assert (await client.get("/api/v1/staff/me", headers=bearer)).status == 200
    # a cookie-authenticated write needs the CSRF token
    forged = await client.delete("/api/v1/staff/sessions")
    assert forged.status == 403 and (await forged.json())["error"] == "csrf"
    out = await client.delete("/api/v1/staff/sessions",
                              headers={"X-CSRF-Token": body["csrf_token"]})
    assert out.status == 200
    assert (await client.get("/api/v1/staff/me", headers=bearer)).status == 401
    # the hash, never the password, is stored
    async with hub.db.sessions() as session:
        stored = await session.scalar(sa.select(StaffAccount.password_hash))
    assert stored.startswith("scrypt$") and PASSWORD not in stored


async def test_five_failures_lock_for_fifteen_minutes_and_are_audited(staff_app) -> None:
    client, clock = staff_app
    hub = client.server.app[HUB_KEY]
    await add_account(hub, "li.officer", "health_officer", PASSWORD)
    wrong = {"username": "li.officer", "password": "not the password"}
    statuses = [(await client.post("/api/v1/staff/sessions", json=wrong)).status
                for _ in range(5)]
    assert statuses == [401, 401, 401, 401, 429]
    right = {"username": "li.officer", "password": PASSWORD}
    locked = await client.post("/api/v1/staff/sessions", json=right)
    assert locked.status == 429 and (await locked.json())["error"] == "locked"
    assert 0 < int(locked.headers["Retry-After"]) <= 15 * 60
    assert "锁定" in (await locked.json())["message_zh"]
    clock.current += timedelta(minutes=15, seconds=1)
    assert (await client.post("/api/v1/staff/sessions", json=right)).status == 200
    actions = [e.action for e in reversed(await read_audit(hub, actor="staff:li.officer"))]
    assert actions == ["login.failed"] * 4 + ["login.lock", "login.locked", "login"]
    # an unknown name answers like a wrong password
    unknown = await client.post("/api/v1/staff/sessions",
                                json={"username": "nobody", "password": PASSWORD})
    assert unknown.status == 401 and (await unknown.json())["error"] == "bad_login"


async def test_disable_and_reset_end_sessions(staff_app) -> None:
    client, _ = staff_app
    hub = client.server.app[HUB_KEY]
    headers = await staff_login(client, "zhao", "admin")
    await reset_password(hub, "zhao", "another long password")
    assert (await client.get("/api/v1/staff/me", headers=headers)).status == 401
    again = await client.post("/api/v1/staff/sessions",
                              json={"username": "zhao", "password": "another long password"})
    headers = {"Authorization": f"Bearer {(await again.json())['token']}"}
    await disable_account(hub, "zhao")
    assert (await client.get("/api/v1/staff/me", headers=headers)).status == 401
    refused = await client.post("/api/v1/staff/sessions",
                                json={"username": "zhao", "password": "another long password"})
    assert refused.status == 401


@pytest.mark.parametrize("body", [None, [], {"username": 1, "password": "x"},
                                  {"username": "a" * 5000, "password": "b" * 100_000}])
async def test_bad_login_bodies_are_clear_errors(staff_app, body) -> None:
    client, _ = staff_app
    resp = await client.post("/api/v1/staff/sessions", data=json.dumps(body),
                             headers={"Content-Type": "application/json"})
    assert resp.status in (400, 401, 413, 422)
    assert "error" in await resp.json()


def _concrete(info: dict) -> str:  # type: ignore[type-arg]
    """A path the route matches: each ``{param}`` filled with the first value that fits."""
    path = info.get("path")
    if path:
        return str(path)
    formatter, pattern = info["formatter"], info["pattern"]
    for name in re.findall(r"{(\w+)}", formatter):
        for value in ("1", "x", "lookup", "2020-02-10"):
            trial = formatter.replace("{" + name + "}", value, 1)
            rest = re.sub(r"{\w+}", "1", trial)
            if pattern.fullmatch(rest) or pattern.fullmatch(trial):
                formatter = trial
                break
    assert pattern.fullmatch(formatter), formatter
    return str(formatter)


def _staff_routes(app) -> list[tuple[str, str, tuple[str, ...]]]:  # type: ignore[no-untyped-def]
    found = []
    for route in app.router.routes():
        roles = getattr(route.handler, "staff_roles", None)
        if roles is not None and route.method != "HEAD":
            found.append((route.method, _concrete(route.resource.get_info()), tuple(roles)))
    return found


async def test_every_staff_route_refuses_the_wrong_caller(staff_app) -> None:
    """Walks every route marked @staff_route: anonymous and a resident's token get 401;
    a staff account of a role the route does not name gets 403."""
    client, _ = staff_app
    app = client.server.app
    routes = _staff_routes(app)
    assert ("GET", "/api/v1/staff/me", ) in [(m, p) for m, p, _ in routes]
    paths = {p for _, p, _ in routes}
    assert {"/api/v1/staff/audit", "/api/v1/status", "/api/v1/store/lookup"} <= paths
    resident, _ = await create_session(app[HUB_KEY])
    accounts: dict[str, dict[str, str]] = {}
    for role in ("admin", "auditor", "reviewer"):
        accounts[role] = await staff_login(client, f"probe-{role}", role)
    for method, path, roles in routes:
        anon = await client.request(method, path, json={})
        assert anon.status == 401, (method, path)
        res = await client.request(method, path, json={},
                                   headers={"Authorization": f"Bearer {resident}"})
        assert res.status == 401, (method, path)
        for role, headers in accounts.items():
            if role not in roles:
                wrong = await client.request(method, path, json={}, headers=headers)
                assert wrong.status == 403, (method, path, role)


async def test_staff_audit_is_append_only(staff_app) -> None:
    client, _ = staff_app
    hub = client.server.app[HUB_KEY]
    await staff_login(client, "qian", "auditor")
    with pytest.raises(DBAPIError):
        async with hub.db.write() as session:
            await session.execute(sa.text("UPDATE staff_audit SET actor = 'someone else'"))
    with pytest.raises(DBAPIError):
        async with hub.db.write() as session:
            await session.execute(sa.text("DELETE FROM staff_audit"))
    assert [e.action for e in await read_audit(hub)] == ["login", "staff.add"]


async def test_audit_api_is_for_admins_and_auditors(staff_app) -> None:
    client, _ = staff_app
    auditor = await staff_login(client, "sun", "auditor")
    resp = await client.get("/api/v1/staff/audit?limit=5", headers=auditor)
    assert resp.status == 200
    items = (await resp.json())["items"]
    assert items[0]["action"] == "login" and items[0]["actor"] == "staff:sun"
    reviewer = await staff_login(client, "zhou", "reviewer")
    assert (await client.get("/api/v1/staff/audit", headers=reviewer)).status == 403
    bad = await client.get("/api/v1/staff/audit?limit=x", headers=auditor)
    assert bad.status == 422


def test_store_staff_move_into_staff_accounts(tmp_path: Path) -> None:
    """Upgrading a database with store staff: they log in with their old password."""
    import sqlite3

    from bot.db.migrate import upgrade
    from bot.services.staff.passwords import check_password, hash_password

    path = tmp_path / "old.db"
    url = f"sqlite+aiosqlite:///{path}"
    upgrade(url, "0010_supply_rolling")
    digest = hash_password("old store password")
    with sqlite3.connect(path) as conn:
        conn.execute("INSERT INTO supply_stores (id, code, name, address, district, lat, lng, "
                     "opening_hours, weight, active) VALUES (7, 'HP009', 'S', 'A', 'd', 0, 0, "
                     "'9-5', 1, 1)")
        conn.execute("INSERT INTO supply_staff (id, store_id, username, password_hash, "
                     "failed_lookups, created_at) VALUES (3, 7, 'clerk', ?, 0, "
                     "'2020-02-01 00:00:00.000000')", (digest,))
    upgrade(url)
    with sqlite3.connect(path) as conn:
        row = conn.execute("SELECT id, role, store, password_hash FROM staff_accounts").fetchone()
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
    assert row[:3] == (3, "store_staff", "HP009")
    assert check_password("old store password", row[3])
    assert "supply_staff" not in tables and "supply_staff_sessions" not in tables


def test_staff_commands_as_an_administrator_runs_them(tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    root = Path(__file__).resolve().parents[2]

    def run(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
        env = {**os.environ, "PYTHONPATH": str(root), "TONGGUAN_LOG_LEVEL": "ERROR",
               "TONGGUAN_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}"}
        return subprocess.run([sys.executable, "-m", "bot.cli", "staff", *args], cwd=root,
                              env=env, input=stdin, capture_output=True, text=True,
                              timeout=300)

    from bot.db.migrate import upgrade

    upgrade(f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}")
    added = run("add", "chen", "--role", "reviewer", "--district", "jiangan",
                "--password-stdin", stdin=PASSWORD + "\n")
    assert added.returncode == 0, added.stderr
    assert added.stdout == "added chen (reviewer, district jiangan)\n"
    again = run("add", "chen", "--role", "reviewer", "--password-stdin", stdin=PASSWORD + "\n")
    assert again.returncode == 2 and "taken" in again.stderr
    weak = run("add", "wuli", "--role", "admin", "--password-stdin", stdin="short\n")
    assert weak.returncode == 2 and "10-200 characters" in weak.stderr
    store = run("add", "clerk", "--role", "store_staff", "--password-stdin", stdin=PASSWORD)
    assert store.returncode == 2 and "need a store" in store.stderr
    generated = run("add", "wuli", "--role", "auditor")
    assert generated.returncode == 0 and "password: " in generated.stdout
    assert run("disable", "chen").returncode == 0
    listed = [json.loads(line) for line in run("list").stdout.splitlines()]
    assert [(a["username"], a["role"], a["disabled"]) for a in listed] == [
        ("chen", "reviewer", True), ("wuli", "auditor", False)]
    assert run("reset-password", "nobody").returncode == 1
    log = [json.loads(line)["action"] for line in run("audit").stdout.splitlines()]
    assert log == ["staff.disable", "staff.add", "staff.add"]
    assert PASSWORD not in run("audit").stdout
