"""Issue 13 §3: no GET mints a code; paper codes by POST (limited, logged) or by the CLI;
live codes expire at the checkpoint API; revoked statuses revoke their unstored live codes;
EU DCC codes at /api/v1/verify; the proxy (代报) marker end to end. SQLite and PostgreSQL."""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import cbor2
import sqlalchemy as sa

import codes
from bot.clock import FixedClock
from bot.db.base import Base
from bot.db.models import CodeIssue
from bot.db.models.declarations import HealthCode
from bot.services.declarations import Person, declarations, set_status
from bot.services.declarations import declare as declare_for
from bot.services.declarations.store import new_token
from bot.web.app import init_app
from bot.web.keys import HUB_KEY
from tests.conftest import ROOT, TEST_SECRET, make_settings
from tests.dcc_support import around, make_dsc, sign_hc1
from tests.services.declarations.test_declaration_flow import declare, session, token_of

HEALTHY = {"temperature": 36.5, "symptoms": ["none"], "travel": ["none"], "contact": False,
           "quarantine": "free"}
NOW = datetime.now(UTC).replace(microsecond=0)


def with_codes(settings, **values):  # type: ignore[no-untyped-def]
    return dataclasses.replace(settings, codes=dataclasses.replace(settings.codes, **values))


async def row_counts(hub) -> dict[str, int]:  # type: ignore[no-untyped-def]
    """Rows in every table (so a GET that wrote anything anywhere would show)."""
    async with hub.db.sessions() as s:
        return {t.name: await s.scalar(sa.select(sa.func.count()).select_from(t))
                for t in Base.metadata.sorted_tables}


async def fixed_client(settings, aiohttp_client, now=NOW):  # type: ignore[no-untyped-def]
    clock = FixedClock(now)
    client = await aiohttp_client(init_app(settings, clock=clock, background=False))
    return client, clock, declarations(client.app[HUB_KEY])


async def test_gets_never_write_and_paper_codes_come_by_post(client):
    headers = await session(client)
    token = token_of(await declare(client, headers))
    hub = client.app[HUB_KEY]
    await client.get(f"/code/{token}/current.json")  # warm-up (lazy parts), then count
    before = await row_counts(hub)
    old = await client.get(f"/code/{token}/current.json?kind=paper")  # the old minting URL
    body = await old.json()
    assert old.status == 400 and body["error"] == "paper_by_post"
    assert "POST" in body["message"] and body["message_zh"]
    for path in ("", "/current.json", "/qr.png", "/paper", "/paper.json", "/paper.png"):
        await client.get(f"/code/{token}{path}")
    for path in ("/api/v1/trust-list", "/api/v1/revocations", "/api/v1/dcc-trust-list",
                 "/checkpoint"):
        assert (await client.get(path)).status == 200
    none = await client.get(f"/code/{token}/paper.json")
    assert none.status == 404 and (await none.json())["error"] == "no_paper_code"
    assert (await client.get(f"/code/{token}/paper.png")).status == 404
    assert await row_counts(hub) == before  # nothing created, nothing changed

    issued = await client.post(f"/code/{token}/paper")
    paper = await issued.json()
    assert issued.status == 201 and paper["kind"] == "paper"
    life = (datetime.fromisoformat(paper["code_expires_at"])
            - datetime.fromisoformat(paper["code_issued_at"]))
    assert timedelta(hours=23, minutes=59) < life <= timedelta(hours=24)  # ≤ the status
    shown = await (await client.get(f"/code/{token}/paper.json")).json()
    assert shown["code"] == paper["code"]  # the page shows it again without issuing
    png = await (await client.get(f"/code/{token}/paper.png")).read()
    assert codes.decode_image(png) == [paper["code"]]

    again = await client.post(f"/code/{token}/paper")
    refusal = await again.json()
    assert again.status == 429 and refusal["error"] == "paper_limit"
    retry = int(again.headers["Retry-After"])
    assert 86000 < retry <= 86400 and refusal["retry_after"] == retry
    assert "纸质码" in refusal["message_zh"] and "paper code" in refusal["message"]

    async with hub.db.sessions() as s:
        log = (await s.scalars(sa.select(CodeIssue))).all()
        stored = await s.scalar(sa.select(sa.func.count()).select_from(HealthCode)
                                .where(HealthCode.kind == "paper"))
    verdict = await (await client.post("/api/v1/verify", json={"code": paper["code"]})).json()
    assert verdict["valid"] and verdict["claims"]["kind"] == "paper"
    assert stored == 1 and len(log) == 1
    entry = log[0]
    assert (entry.channel, entry.actor, entry.kind) == ("resident", "resident", "paper")
    assert entry.subject == verdict["claims"]["sub"]
    svc = declarations(hub)
    cti = codes.verify_code(paper["code"], trust_list=svc.signing.store.trust_list(
        at=datetime.now(UTC))).claims["cti"]
    assert entry.code_id.hex() == cti
    assert entry.expires_at == datetime.fromisoformat(paper["code_expires_at"])


async def test_paper_limit_is_per_24_hours_and_a_setting(settings, aiohttp_client):
    client, clock, svc = await fixed_client(with_codes(settings, paper_per_day=2,
                                                       paper_hours=6), aiohttp_client)
    out = await declare_for(svc, person=Person("张三明", "11010519491231002X", None),
                            answers=HEALTHY, user_key="web:p1", proxy=False)
    url = f"/code/{out.token}/paper"
    first = await client.post(url)
    assert first.status == 201
    expires = datetime.fromisoformat((await first.json())["code_expires_at"])
    assert expires == NOW + timedelta(hours=6)
    clock.advance(hours=1)
    assert (await client.post(url)).status == 201
    clock.advance(hours=21)
    third = await client.post(url)
    assert third.status == 429 and third.headers["Retry-After"] == str(2 * 3600)
    # an officer's new status (and page) for the same person: the limit is per subject
    status, _ = await set_status(svc, subject=out.subject, color="yellow", reason_zh="观察",
                                 reason_en="Observation", hours=72)
    url = f"/code/{await new_token(svc, status.id)}/paper"
    assert (await client.post(url)).status == 429
    clock.advance(hours=2, seconds=1)
    assert (await client.post(url)).status == 201  # the first one's 24 hours are over
    assert (await client.post(url)).status == 429


async def test_live_code_expires_at_the_checkpoint_api(settings, aiohttp_client):
    client, clock, svc = await fixed_client(settings, aiohttp_client)
    out = await declare_for(svc, person=Person("张三明", "11010519491231002X", None),
                            answers=HEALTHY, user_key="web:p2", proxy=False)
    live = await (await client.get(f"/code/{out.token}/current.json")).json()
    assert live["code_issued_at"] == NOW.isoformat()
    expires = datetime.fromisoformat(live["code_expires_at"])
    assert timedelta(seconds=90) <= expires - NOW <= timedelta(seconds=180)

    async def verify() -> dict:
        resp = await client.post("/api/v1/verify", json={"code": live["code"]})
        return await resp.json()

    ok = await verify()
    assert ok["valid"] and ok["claims"]["iat"] == NOW.isoformat()
    assert ok["claims"]["kind"] == "live"
    clock.current = expires + codes.CLOCK_SKEW_LEEWAY  # the stated leeway still holds
    assert (await verify())["valid"]
    clock.advance(seconds=1)
    late = await verify()
    assert not late["valid"] and late["reason"] == "expired"
    assert late["message_zh"] == "该码已过期。"
    # the page itself has moved on to a fresh code meanwhile
    fresh = await (await client.get(f"/code/{out.token}/current.json")).json()
    assert fresh["code"] != live["code"] and (await (await client.post(
        "/api/v1/verify", json={"code": fresh["code"]})).json())["valid"]


async def test_a_revoked_status_revokes_its_unstored_live_codes(client):
    headers = await session(client)
    token = token_of(await declare(client, headers))
    live = await (await client.get(f"/code/{token}/current.json")).json()
    svc = declarations(client.app[HUB_KEY])
    cti = bytes.fromhex(codes.verify_code(
        live["code"], trust_list=svc.signing.store.trust_list(at=datetime.now(UTC))
    ).claims["cti"])
    verdict = await (await client.post("/api/v1/verify", json={"code": live["code"]})).json()
    subject = verdict["claims"]["sub"]
    await set_status(svc, subject=subject, color="red", reason_zh="密接",
                     reason_en="Close contact")
    verdict = await (await client.post("/api/v1/verify", json={"code": live["code"]})).json()
    assert verdict["reason"] == "revoked"
    rl = await (await client.get("/api/v1/revocations")).text()
    signer = await (await client.get("/api/v1/list-signer")).read()
    assert codes.load_revocation_list(rl, signer_public_key=signer).is_revoked(cti)


async def test_hc1_at_the_verify_api(settings, aiohttp_client, tmp_path):
    now = datetime.now(UTC)
    times = around(now)
    key, der = make_dsc(not_before=times["not_before"], not_after=times["not_after"])
    from cryptography import x509
    from cryptography.hazmat.primitives.serialization import Encoding

    trust_file = tmp_path / "dsc.pem"
    trust_file.write_bytes(x509.load_der_x509_certificate(der).public_bytes(Encoding.PEM))
    hc1 = sign_hc1(key, der, iat=times["iat"], exp=times["exp"])

    plain = await aiohttp_client(init_app(settings, background=False))
    refused = await (await plain.post("/api/v1/verify", json={"code": hc1})).json()
    assert refused["reason"] == "unknown_kid" and refused["format"] == "HC1"

    client = await aiohttp_client(init_app(with_codes(settings, dcc_trust_file=str(trust_file)),
                                           background=False))
    verdict = await (await client.post("/api/v1/verify", json={"code": hc1})).json()
    assert verdict["valid"] and verdict["format"] == "HC1" and verdict["alg"] == "ES256"
    assert verdict["claims"]["type"] == "vaccination"
    assert verdict["claims"]["hcert"]["nam"]["fnt"] == "MUSTERMANN"
    expired = sign_hc1(key, der, iat=times["iat"], exp=now - timedelta(minutes=5))
    late = await (await client.post("/api/v1/verify", json={"code": expired})).json()
    assert late["reason"] == "expired"
    listed = await (await client.get("/api/v1/dcc-trust-list")).text()
    signer = await (await client.get("/api/v1/list-signer")).read()
    assert codes.load_dcc_trust_list(listed, signer_public_key=signer, at=now) == [der]


async def test_proxy_declaration_codes_say_so(settings, aiohttp_client):
    client, clock, svc = await fixed_client(settings, aiohttp_client)
    own = await declare_for(svc, person=Person("李四", "110105198001011238", None),
                            answers=HEALTHY, user_key="web:parent", proxy=False)
    out = await declare_for(svc, person=Person("张三明", "11010519491231002X", None),
                            answers=HEALTHY, user_key="web:parent", proxy=True)
    live = await (await client.get(f"/code/{out.token}/current.json")).json()
    assert live["proxy"] is True
    verdict = await (await client.post("/api/v1/verify", json={"code": live["code"]})).json()
    assert verdict["valid"] and verdict["claims"]["proxy"] is True
    paper = await (await client.post(f"/code/{out.token}/paper")).json()
    verdict = await (await client.post("/api/v1/verify", json={"code": paper["code"]})).json()
    assert verdict["claims"]["proxy"] is True and verdict["claims"]["kind"] == "paper"
    mine = await (await client.get(f"/code/{own.token}/current.json")).json()
    assert mine["proxy"] is False
    private = cbor2.loads(codes.open_code(mine["code"])[1].payload)[codes.TG_CLAIM]
    assert set(private) == {"c", "k", "n", "r"}  # no proxy key at all when false


def cli(args: list[str], settings) -> subprocess.CompletedProcess[str]:  # type: ignore[no-untyped-def]
    env = {**os.environ, "PYTHONPATH": str(ROOT), "TONGGUAN_DATABASE_URL": settings.database_url,
           "TONGGUAN_SECRET_KEY": TEST_SECRET, "TONGGUAN_KEYS_DIR": str(settings.keys_dir),
           "TONGGUAN_LOG_LEVEL": "ERROR"}
    return subprocess.run([sys.executable, "-m", "bot.cli", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300)


async def test_community_worker_prints_a_paper_code_with_the_cli(sqlite_url, tmp_path: Path):
    from bot.hub import open_base_hub

    settings = make_settings(sqlite_url, tmp_path)
    async with open_base_hub(settings) as hub:
        out = await declare_for(declarations(hub), person=Person("王五", "11010519491231002X",
                                                                 None),
                                answers=HEALTHY, user_key="web:w", proxy=False)
    done = cli(["code", "paper", "--by", "worker-7", "--hours", "48", "--", out.subject],
               settings)  # (a subject id may begin with "-")
    assert done.returncode == 0, done.stderr
    text = done.stdout.strip()
    assert text.startswith("TG1:") and "worker-7" in done.stderr
    checked = cli(["code", "verify", text, "--keys-dir", str(settings.keys_dir)], settings)
    verdict = json.loads(checked.stdout)
    assert checked.returncode == 0 and verdict["claims"]["kind"] == "paper"
    life = (datetime.fromisoformat(verdict["claims"]["exp"])
            - datetime.fromisoformat(verdict["claims"]["iat"]))
    assert timedelta(hours=23) < life <= timedelta(hours=24)  # never beyond the status
    log = cli(["code", "paper-log", "--", out.subject], settings)
    entries = [json.loads(line) for line in log.stdout.splitlines()]
    assert [(e["channel"], e["actor"]) for e in entries] == [("cli", "cli:worker-7")]
    assert set(entries[0]) == {"issued_at", "subject", "kind", "channel", "actor", "cti",
                               "expires_at"}
    again = cli(["code", "paper", "--by", "worker-7", "--", out.subject], settings)
    assert again.returncode == 0  # a community worker is not held to the daily limit
    unknown = cli(["code", "paper", "NOSUCHSUBJECT"], settings)
    assert unknown.returncode == 2 and "no active status" in unknown.stderr
    assert len(unknown.stderr.strip().splitlines()) == 1
