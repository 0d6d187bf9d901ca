"""Official status lists: ``import-status`` of 100,000 rows, on SQLite and PostgreSQL.

The database holds ``--known`` people who have declared (each bound to a chat account,
with an active status and a live code); the list names half of them and as many people
nobody knows yet (pending official statuses). Timed: the dry run, the real run (one
transaction: official statuses, revoked statuses and codes, new statuses, the audit
log, one chat notice per known person) and the same file again (idempotent: nothing
changes). Prints seconds and rows/s.

    python bench/status_import.py [--rows 100000] [--known 100000] [--only sqlite|postgres]

PostgreSQL is the server at ``TONGGUAN_TEST_POSTGRES_URL`` (default the local one,
postgresql+asyncpg://postgres@127.0.0.1:5432/postgres); a throw-away database is created
there and dropped. Figures only; it never passes or fails on time.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import os
import secrets
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.config import load_settings  # noqa: E402
from bot.db.migrate import upgrade  # noqa: E402
from bot.db.models.declarations import HealthCode, HealthStatus, HealthSubject  # noqa: E402
from bot.hub import open_base_hub  # noqa: E402
from bot.services.declarations.officials import import_statuses  # noqa: E402
from bot.services.declarations.service import declarations  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
SECRET = "bench-secret-0123456789abcdef0123456789abcdef"
_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
SEED_CHUNK = 5000


def fake_id(n: int) -> str:
    """A checksum-valid ID number, different for every ``n`` below 10,080,000."""
    first = f"310101{1940 + n % 60:04d}{1 + n // 60 % 12:02d}{1 + n // 720 % 28:02d}" \
            f"{n // 20160 % 500:03d}"
    return first + "10X98765432"[sum(int(c) * w for c, w in zip(first, _WEIGHTS,
                                                                    strict=True)) % 11]


async def seed(hub, known: int) -> None:  # type: ignore[no-untyped-def]
    """``known`` declared people: subject (bound), an active status, a live code."""
    now = hub.clock.now()
    index = hub.sealer.blind_index
    subjects, statuses, codes_ = [], [], []
    for n in range(known):
        subject = f"s{n:011d}"
        subjects.append({"subject": subject, "id_index": index("id_number", fake_id(n)),
                         "created_at": now, "bound_key": f"web:u{n}", "bound_at": now})
        statuses.append({"id": n + 1, "subject": subject, "owner_key": f"web:u{n}",
                         "token_hash": secrets.token_hex(32), "color": "green",
                         "reasons": [], "masked_name": "张*明", "source": "declaration",
                         "rules_version": "bench", "active": True, "issued_at": now,
                         "valid_until": now + timedelta(hours=24), "proxy": False})
        codes_.append({"status_id": n + 1, "code_id": secrets.token_bytes(8), "kind": "live",
                       "text": "TG1:bench", "issued_at": now,
                       "expires_at": now + timedelta(minutes=10), "revoked": False})
    async with hub.db.write() as session:
        for model, rows in ((HealthSubject, subjects), (HealthStatus, statuses),
                            (HealthCode, codes_)):
            for start in range(0, len(rows), SEED_CHUNK):
                await session.execute(sa.insert(model), rows[start:start + SEED_CHUNK])
        if hub.db.dialect == "postgresql":
            await session.execute(sa.text(
                "SELECT setval('health_statuses_id_seq', (SELECT max(id) FROM health_statuses))"))
    if hub.db.dialect == "postgresql":
        async with hub.db.engine.connect() as conn:
            await conn.execution_options(isolation_level="AUTOCOMMIT")
            await conn.execute(sa.text("ANALYZE"))


def listing(rows: int, known: int) -> str:
    """Half known people (every other one), half nobody knows yet."""
    half = rows // 2
    ids = [fake_id(2 * n % known) for n in range(half)]
    ids += [fake_id(known + n) for n in range(rows - half)]
    return "身份证号,姓名\n" + "\n".join(f"{i},张三明" for i in ids) + "\n"


async def bench(label: str, url: str, rows: int, known: int) -> None:
    upgrade(url)
    settings = dataclasses.replace(load_settings(ROOT / "config.yml", env={}),
                                   database_url=url, secret_key=SECRET,
                                   keys_dir=Path(tempfile.mkdtemp()) / "keys")
    async with open_base_hub(settings) as hub:
        start = time.perf_counter()
        await seed(hub, known)
        print(f"{label}: seeded {known} declared people in {time.perf_counter() - start:.1f} s")
        svc = declarations(hub)
        text = listing(rows, known)
        args = dict(color="red", reason_zh="密切接触者", reason_en="Close contact",
                    actor="cli:bench")
        for name, dry in (("dry run", True), ("import", False), ("same file again", False)):
            start = time.perf_counter()
            report = await import_statuses(svc, text, dry_run=dry, **args)
            took = time.perf_counter() - start
            print(f"  {name:<16} {took:6.2f} s  {report.rows / took:9.0f} rows/s   "
                  f"matched {report.matched}  unknown {report.unknown}  unchanged "
                  f"{report.unchanged}  revoked codes {report.revoked_codes}  notices "
                  f"{report.notices}")


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--known", type=int, default=100_000,
                        help="people who have declared (the list names every other one)")
    parser.add_argument("--only", choices=["sqlite", "postgres"])
    parser.add_argument("--postgres", default=os.environ.get(
        "TONGGUAN_TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"))
    args = parser.parse_args()
    print(f"status_import: a list of {args.rows} rows ({args.rows // 2} known people, the "
          f"rest unknown), {args.known} declared people in the database")
    if args.only != "postgres":
        with tempfile.TemporaryDirectory() as tmp:
            await bench("sqlite", f"sqlite+aiosqlite:///{tmp}/bench.db", args.rows, args.known)
    if args.only == "sqlite":
        return
    import asyncpg

    admin = args.postgres.replace("postgresql+asyncpg://", "postgresql://")
    name = f"tongguan_bench_{secrets.token_hex(4)}"
    try:
        conn = await asyncpg.connect(admin)
    except OSError as err:
        print(f"postgres: not measured ({err})")
        return
    await conn.execute(f'CREATE DATABASE "{name}"')
    try:
        await bench("postgres", args.postgres.rsplit("/", 1)[0] + "/" + name, args.rows,
                    args.known)
    finally:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await conn.close()


if __name__ == "__main__":
    asyncio.run(main())
