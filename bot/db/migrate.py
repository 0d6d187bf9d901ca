"""Run Alembic migrations programmatically (``tongguan db upgrade``, ``serve``, tests)."""

from __future__ import annotations

import asyncio
import concurrent.futures
from collections.abc import Sequence
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


def alembic_config(url: str) -> Config:
    """An Alembic config pointing at the packaged migrations and ``url``."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("sqlalchemy.url", url)
    return cfg


def ensure_sqlite_dir(url: str) -> None:
    """Create the folder of a SQLite file URL, so a fresh checkout can start."""
    if url.startswith("sqlite") and ":///" in url:
        path = url.split(":///", 1)[1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)


def upgrade(url: str, revision: str = "heads") -> None:
    """Upgrade the database at ``url`` to ``revision`` (default: every head)."""
    ensure_sqlite_dir(url)
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        command.upgrade(alembic_config(url), revision)
        return
    # Called from async code: Alembic's env runs its own event loop, so use a thread.
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        pool.submit(command.upgrade, alembic_config(url), revision).result()


async def upgrade_async(engine: AsyncEngine, revision: str = "heads") -> None:
    """Upgrade through an existing async engine (used inside a running loop)."""
    cfg = alembic_config(str(engine.url.render_as_string(hide_password=False)))

    def _do(connection: Connection) -> None:
        cfg.attributes["connection"] = connection
        command.upgrade(cfg, revision)

    async with engine.begin() as conn:
        await conn.run_sync(_do)


def current_heads(url: str) -> list[str]:
    """The head revisions the code knows of."""
    from alembic.script import ScriptDirectory

    return list(ScriptDirectory.from_config(alembic_config(url)).get_heads())


def revision_parents(url: str) -> dict[str, frozenset[str]]:
    """Every revision the code has → the revisions it needs first (its down revisions
    and ``depends_on``)."""
    from alembic.script import ScriptDirectory

    def names(value: str | Sequence[str] | None) -> frozenset[str]:
        if not value:
            return frozenset()
        return frozenset([value] if isinstance(value, str) else value)

    return {rev.revision: names(rev.down_revision) | names(rev.dependencies)
            for rev in ScriptDirectory.from_config(alembic_config(url)).walk_revisions()}


def missing_revisions(parents: dict[str, frozenset[str]], applied: set[str]) -> list[str]:
    """The code's revisions not applied to a database whose ``alembic_version`` rows are
    ``applied`` (a revision is applied when an applied one needs it, at any remove)."""
    done: set[str] = set()
    todo = [rev for rev in applied if rev in parents]
    while todo:
        rev = todo.pop()
        if rev not in done:
            done.add(rev)
            todo.extend(parents[rev])
    return sorted(set(parents) - done)


__all__ = ["alembic_config", "current_heads", "ensure_sqlite_dir", "missing_revisions",
           "revision_parents", "upgrade", "upgrade_async"]
