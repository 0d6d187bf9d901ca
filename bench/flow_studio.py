"""What the flow studio costs: the per-process poll for new versions, checking a draft,
drawing it, a preview turn, and publish → served, on PostgreSQL and SQLite.

Prints p50/p99 (ms) of: the poll every process runs each ``flows_poll_seconds`` (the
newest row id), against ``SELECT 1`` on the same pool (ratio); checking the largest
flow (``resumption_filing.yml``) as the studio does on every pause in typing, against
parsing the same YAML alone (ratio); drawing its diagram; one preview turn; and a
publish until this process serves it (the publish, its audit entry and the reload).
Run: .venv/bin/python bench/flow_studio.py [--only postgres|sqlite]
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import os
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import sqlalchemy as sa
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench._http_load import ROOT, percentile, throwaway_postgres  # noqa: E402

FLOW = "resumption_filing"


async def timed(work: Callable[[], Awaitable[Any]] | Callable[[], Any], n: int
                ) -> list[float]:
    samples = []
    for _ in range(n):
        start = time.perf_counter()
        result = work()
        if asyncio.iscoroutine(result):
            await result
        samples.append((time.perf_counter() - start) * 1000)
    return samples


def line(what: str, samples: list[float], base: list[float] | None = None) -> str:
    p50, p99 = percentile(samples, 0.5), percentile(samples, 0.99)
    ratio = f"  ×{p50 / percentile(base, 0.5):.1f} of the baseline" if base else ""
    return f"  {what:<44} p50 {p50:8.3f} ms  p99 {p99:8.3f} ms{ratio}"


async def measure(label: str, url: str) -> None:
    from bot.assembly import open_hub
    from bot.config import load_settings
    from bot.db.migrate import upgrade
    from bot.dialogue.flows.diagram import flow_svg
    from bot.dialogue.flows.draft import check_draft
    from bot.dialogue.flows.published import refresh
    from bot.dialogue.flows.registry import FlowRegistry
    from bot.dialogue.preview import preview_turn
    from bot.services.flow_versions import flow_versions

    await asyncio.to_thread(upgrade, url)
    with tempfile.TemporaryDirectory() as keys:
        settings = dataclasses.replace(
            load_settings(ROOT / "config.yml", env={}), database_url=url,
            secret_key="bench-secret-0123456789abcdef0123456789", keys_dir=Path(keys),
            flows_dir=ROOT / "flows", intents_dir=ROOT / "intents")
        async with open_hub(settings) as hub:
            registry = hub.flows
            assert isinstance(registry, FlowRegistry)
            store = flow_versions(hub)
            text = (ROOT / "flows" / f"{FLOW}.yml").read_text(encoding="utf-8")

            async def select_one() -> None:
                async with hub.db.sessions() as session:
                    await session.scalar(sa.text("SELECT 1"))

            print(f"{label} ({len(registry.flows)} flows; {FLOW}.yml {len(text):,} bytes)")
            base = await timed(select_one, 500)
            print(line("SELECT 1 (baseline)", base))
            print(line("poll: newest flow version id", await timed(store.newest_id, 500),
                       base))
            parse = await timed(lambda: yaml.safe_load(text), 200)
            print(line("YAML parse alone (baseline)", parse))
            print(line("check a draft (validate)", await timed(
                lambda: check_draft(registry, FLOW, text, max_bytes=65536), 200), parse))
            flow = registry.flows[FLOW]
            print(line("draw its diagram", await timed(lambda: flow_svg(flow), 200)))
            print(line("preview: start the draft", await timed(
                lambda: preview_turn(hub, registry, flow, text="", preview_id=None), 100)))
            version = (await store.live())[FLOW].version
            samples = []
            for i in range(30):
                start = time.perf_counter()
                version = await store.publish(FLOW, text + f"# {i}\n", author="bench",
                                              note="", base_version=version,
                                              audit_action="flows.publish")
                await refresh(hub)
                samples.append((time.perf_counter() - start) * 1000)
            print(line("publish → served by this process", samples))


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--only", choices=("postgres", "sqlite"))
    args = parser.parse_args()
    admin = os.environ.get("TONGGUAN_TEST_POSTGRES_URL",
                           "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres")
    if args.only != "sqlite":
        async with throwaway_postgres(admin) as url:
            if url:
                await measure("postgres", url)
    if args.only != "postgres":
        with tempfile.TemporaryDirectory() as tmp:
            await measure("sqlite", f"sqlite+aiosqlite:///{tmp}/studio.db")


if __name__ == "__main__":
    asyncio.run(main())
