"""The OpenAPI document and the server agree (issue 17 §6): schemathesis generates requests
for every documented operation — anonymous, with a resident's token, and with a staff
token of a role the route takes — and checks every answer: no 5xx, only documented status
codes, bodies matching their schemas, schema-valid requests accepted and invalid ones
refused, 405 with ``Allow``. Bounded examples keep it to about a minute."""

from __future__ import annotations

import contextlib
import json
import os
import re
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance

from bot.config import load_settings
from tests.conftest import ROOT, TEST_SECRET

pytestmark = pytest.mark.xdist_group("api_schema")
PASSWORD = "tongguan-demo"
EXAMPLES = 8  #: generated requests per operation (plus schemathesis' explicit examples)
#: staff accounts the server is seeded with, one per role (username = role)
ROLES = ("admin", "health_officer", "reviewer", "community_worker", "store_staff",
         "auditor", "operator")


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _post(url: str, body: dict[str, object] | None = None) -> dict[str, object]:
    data = json.dumps(body or {}).encode()
    req = urllib.request.Request(url, data=data, method="POST",
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=30) as resp:
        return json.loads(resp.read())


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, object]]:
    """A seeded ``tongguan serve`` (SQLite, limits off); yields its URL and tokens."""
    tmp = tmp_path_factory.mktemp("schema")
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("TONGGUAN_")}
    env.update(PYTHONPATH=str(ROOT), TONGGUAN_SECRET_KEY=TEST_SECRET,
               TONGGUAN_DATABASE_URL=f"sqlite+aiosqlite:///{tmp / 'api.db'}",
               TONGGUAN_KEYS_DIR=str(tmp / "keys"), TONGGUAN_LOG_LEVEL="WARNING",
               TONGGUAN_RATE_LIMITS_ENABLED="false", TONGGUAN_FLOWS_RELOAD_SECONDS="0")
    cli = [sys.executable, "-m", "bot.cli"]
    subprocess.run([*cli, "db", "upgrade"], cwd=ROOT, env=env, check=True,
                   capture_output=True, timeout=300)
    subprocess.run([*cli, "demo", "seed"], cwd=ROOT, env=env, check=True,
                   capture_output=True, timeout=300)
    for role in ROLES:
        extra = ["--store", "JA001"] if role == "store_staff" else []
        subprocess.run([*cli, "staff", "add", f"fuzz-{role}".replace("_", "-"), "--role",
                        role, "--password-stdin", *extra], cwd=ROOT, env=env,
                       input=f"{PASSWORD}\n", capture_output=True, text=True, timeout=300,
                       check=True)
    log = (tmp / "server.log").open("wb")
    proc = subprocess.Popen([*cli, "serve", "--host", "127.0.0.1", "--port", str(port)],
                            cwd=ROOT, env=env, stdout=log, stderr=log)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(600):  # a liveness guard: a server that never starts would hang
            if proc.poll() is not None:
                raise RuntimeError((tmp / "server.log").read_text())
            try:
                urllib.request.urlopen(base + "/healthz", timeout=1).close()
                break
            except OSError:
                import time

                time.sleep(0.1)
        tokens = {"resident": str(_post(base + "/api/v1/sessions")["token"])}
        for role in ROLES:
            with contextlib.suppress(OSError):
                tokens[role] = str(_post(base + "/api/v1/staff/sessions", {
                    "username": f"fuzz-{role}".replace("_", "-"),
                    "password": PASSWORD})["token"])
        yield {"base": base, "tokens": tokens, "log": tmp / "server.log"}
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        log.close()


def _route_roles() -> dict[tuple[str, str], tuple[str, ...]]:
    """(METHOD, path template) → the staff roles its handler takes (from @staff_route)."""
    from bot.web.app import init_app

    app = init_app(load_settings(ROOT / "config.yml", env={}), background=False)
    found: dict[tuple[str, str], tuple[str, ...]] = {}
    for route in app.router.routes():
        roles = getattr(route.handler, "staff_roles", None)
        if roles:
            path = re.sub(r"\{(\w+)(:[^}]*)?\}", r"{\1}", route.resource.canonical)
            found[(route.method, path)] = tuple(roles)
    return found


ROUTE_ROLES = _route_roles()


def _auth(case: schemathesis.Case, tokens: dict[str, str]) -> dict[str, str]:
    """The credentials a caller of this operation would have."""
    op = case.operation
    roles = ROUTE_ROLES.get((op.method.upper(), op.path))
    if roles is None and op.path.startswith("/api/v1/store/") and op.path != \
            "/api/v1/store/login":
        roles = ("store_staff",)
    if roles:
        token = next((tokens[r] for r in roles if r in tokens), None)
        return {"Authorization": f"Bearer {token}"} if token else {}
    if op.definition.raw.get("security") == []:
        return {}
    return {"Authorization": f"Bearer {tokens['resident']}"}


#: operations schemathesis still finds disagreeing with their document, each with what it
#: found (issue 17 §4 follow-up: fix the OPENAPI_PATHS or the handler, then remove the line)
#: operations whose rules JSON Schema cannot state, so a schema-valid request may rightly be
#: refused (422): every other check still runs on them, and their own tests cover each rule
DOMAIN_RULES = {
    "POST /api/v1/filings": "USCC check digit, start not in the past, returning ≤ total, "
                            "origins' counts (tests/services/filings/test_filing_api.py)",
    "PUT /api/v1/filings/{id}": "as POST /api/v1/filings",
    "POST /api/v1/reservations": "ID number checksum, known product and store "
                                 "(tests/services/reservations)",
    "POST /api/v1/handoffs/{id}/reply": "control and format characters are removed before "
                                        "the emptiness check (tests/web/test_handoffs_api.py)",
}
#: never-ending responses (an event stream) are not fuzzed
STREAMS = {"GET /api/v1/ops/stream"}


def test_the_api_matches_its_openapi_document(server: dict[str, object]) -> None:
    """Every documented operation, a few generated requests each; all problems are
    collected, then reported together."""
    base, tokens = str(server["base"]), server["tokens"]
    assert isinstance(tokens, dict)
    api = schemathesis.openapi.from_url(base + "/api/v1/openapi.json")
    problems: list[str] = []
    operations = [result.ok() for result in api.get_all_operations()]
    assert len(operations) > 20

    for op in operations:
        name = f"{op.method.upper()} {op.path}"
        if name in STREAMS:
            continue

        domain = name in DOMAIN_RULES

        @given(case=op.as_strategy())
        @settings(max_examples=EXAMPLES, deadline=None, database=None,
                  suppress_health_check=list(HealthCheck))
        def run(case: schemathesis.Case) -> None:
            headers = {**(case.headers or {}), **_auth(case, tokens)}
            if case.query and "wait" in case.query:  # a long-poll: valid, but keep it short
                with contextlib.suppress(TypeError, ValueError):
                    case.query["wait"] = min(float(case.query["wait"]), 0.5)
            # run() is called at once, in this iteration: ``domain`` is this operation's
            excluded = [positive_data_acceptance] if domain else None  # noqa: B023
            case.call_and_validate(base_url=base, headers=headers, excluded_checks=excluded)

        try:
            run()
        except (KeyboardInterrupt, SystemExit):
            raise
        except BaseException as err:  # a FailureGroup: reported with its operation
            problems.append(f"{op.method.upper()} {op.path}: {str(err)[:1500]}")
    assert not problems, "\n\n".join(problems)


def test_every_staff_role_could_log_in(server: dict[str, object]) -> None:
    tokens = server["tokens"]
    assert isinstance(tokens, dict)
    assert set(ROLES) <= set(tokens), Path(str(server["log"])).read_text()[-2000:]
