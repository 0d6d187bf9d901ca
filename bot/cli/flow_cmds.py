"""``tongguan flows export DIR`` and ``tongguan flows import DIR``: the live flow
versions of the database to files and back (docs/flows-studio.md)."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from pathlib import Path

from bot.cli.common import settings_from
from bot.config import Settings

IMPORT_AUTHOR = "cli"


async def _export(settings: Settings, directory: Path) -> int:
    from bot.hub import open_base_hub
    from bot.services.flow_versions import flow_versions

    async with open_base_hub(settings) as hub:
        live = await flow_versions(hub).live()
    directory.mkdir(parents=True, exist_ok=True)
    for name, row in live.items():
        (directory / f"{name}.yml").write_text(row.yaml, encoding="utf-8")
        print(f"{name}.yml\tversion {row.version}")
    print(f"{len(live)} flows exported to {directory}", file=sys.stderr)
    return 0


async def _import(settings: Settings, directory: Path) -> int:
    from bot.assembly import open_hub
    from bot.dialogue.build import make_flow_registry
    from bot.dialogue.flows.draft import NAME, check_draft
    from bot.services.flow_versions import StaleBase, flow_versions

    files = sorted(directory.glob("*.yml"))
    failed = published = 0
    async with open_hub(settings, with_dialogue=False) as hub:
        store = flow_versions(hub)
        live = await store.live()
        registry = make_flow_registry(settings.flows_dir, hub.actions)
        registry.published = {name: row.yaml for name, row in live.items()}
        logging.disable(logging.WARNING)
        registry.load()
        for path in files:
            name = path.stem
            try:
                text = path.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError) as err:
                print(f"{path}: cannot read: {err}")
                failed += 1
                continue
            row = live.get(name)
            if row is not None and row.yaml == text:
                continue
            if not NAME.match(name):
                print(f"{path}: the file name must be letters, digits and _ (a flow name)")
                failed += 1
                continue
            _obj, problems = check_draft(registry, name, text,
                                         max_bytes=settings.flows_max_bytes,
                                         require_name=False)
            if problems:
                failed += 1
                for p in problems:
                    print(f"{path}:{p.line}:{p.column}: {p.message} [{p.rule}]")
                continue
            try:
                version = await store.publish(
                    name, text, author=IMPORT_AUTHOR, note=f"tongguan flows import {path}",
                    base_version=row.version if row else None, audit_action="flows.publish",
                    audit_detail={"source": "cli"})
            except StaleBase as err:
                print(f"{path}: {err}; not imported")
                failed += 1
                continue
            published += 1
            registry.published[name] = text
            registry.load()
            print(f"{name}\tversion {version}")
    print(f"{published} published, {failed} refused, {len(files) - published - failed} "
          "unchanged", file=sys.stderr)
    return 1 if failed else 0


def _run_export(args: argparse.Namespace) -> int:
    return asyncio.run(_export(settings_from(args), Path(args.dir)))


def _run_import(args: argparse.Namespace) -> int:
    return asyncio.run(_import(settings_from(args), Path(args.dir)))


def register(flows: argparse._SubParsersAction) -> None:
    """Add ``export`` and ``import`` to the ``tongguan flows`` group."""
    p = flows.add_parser("export", help="write the live version of every flow to DIR")
    p.add_argument("dir")
    p.set_defaults(func=_run_export)
    p = flows.add_parser("import", help="publish the files of DIR that differ from the "
                                        "live versions (author cli); exit 1 if any refused")
    p.add_argument("dir")
    p.set_defaults(func=_run_import)
