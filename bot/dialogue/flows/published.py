"""The registry's flows from the database: published versions win over files.

At start-up (:func:`open_published`) every file in ``flows/`` whose name has no version
yet becomes version 1 (author ``files``); a file changed on disk while its live version
is still the files' own is published again (when it passes the checks). From then on
each process follows the database (:func:`follow`): a cheap poll of the newest row id
every ``flows_poll_seconds``, and a reload when it moved. A file edited while the
server runs (every ``flows_reload_seconds``) is published like ``tongguan flows
import`` would, while the files still own that flow (else it is ignored, with a
warning ``flows.file_ignored``); an edit that fails the checks leaves the last good
version live and is reported on the registry (``problems``) and in the log, as before.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

from bot.dialogue.flows.registry import FlowRegistry
from bot.services.flow_versions import FILES_AUTHOR, StaleBase, flow_versions

if TYPE_CHECKING:
    from bot.hub import Hub

log = logging.getLogger("tongguan.flows")


def _registry(hub: Hub) -> FlowRegistry:
    assert isinstance(hub.flows, FlowRegistry), "the hub has its dialogue"
    return hub.flows


async def refresh(hub: Hub) -> int:
    """Make the database's live versions the registry's; returns the newest row id."""
    registry, store = _registry(hub), flow_versions(hub)
    newest = await store.newest_id()  # first: a version published meanwhile is re-read
    live = await store.live()
    registry.published = {name: row.yaml for name, row in live.items()}
    registry.published_id = newest
    registry.load()
    return newest


async def open_published(hub: Hub) -> int:
    """Seed version 1 from the files, re-publish files changed on disk while the files
    still own their flow, and load the live versions; returns the newest row id."""
    registry, store = _registry(hub), flow_versions(hub)
    files = registry.file_texts()
    added = await store.seed(files)
    if added:
        log.info("flows.seeded names=%s", ",".join(added))
    live = await store.live()
    registry.published = {name: row.yaml for name, row in live.items()}
    registry.load()
    for name, text in files.items():
        row = live.get(name)
        if row is not None and row.author == FILES_AUTHOR and row.yaml != text:
            await publish_file(hub, name, text, row.version)
    return await refresh(hub)


async def publish_file(hub: Hub, name: str, text: str, base: int | None) -> bool:
    """Publish a file's new text as the next version when it passes the checks; else
    keep the live version and report the problems. True when published."""
    registry = _registry(hub)
    _obj, problems = registry.check_text(name, text, require_name=False)
    if problems:
        registry.load({name: text})  # reports and logs them; the last good stays live
        return False
    try:
        version = await flow_versions(hub).publish(
            name, text, author=FILES_AUTHOR, note=f"flows/{name}.yml changed on disk",
            base_version=base)
    except StaleBase:  # another process published it (or something else) first
        return False
    log.info("flows.published name=%s version=%d author=files", name, version)
    return True


async def _publish_files(hub: Hub, edited: dict[str, str]) -> bool:
    """Publish files edited while the server runs, where the files still own their flow
    (its live version is the files'); True when any was published."""
    registry, live = _registry(hub), await flow_versions(hub).live()
    published = False
    for name, text in edited.items():
        row = live.get(name)
        if row is not None and row.author != FILES_AUTHOR:
            log.warning("flows.file_ignored name=%s live_version=%d author=%s: published "
                        "through the studio or an import since; `tongguan flows import` "
                        "publishes the file", name, row.version, row.author)
            continue
        published = await publish_file(hub, name, text, row.version if row else None) \
            or published
    if not published:
        registry.note_files()  # not again at every tick
    return published


async def follow(hub: Hub) -> None:
    """Follow published versions (and edited files) for as long as the process runs."""
    settings = hub.settings
    poll, files = settings.flows_poll_seconds, settings.flows_reload_seconds
    ticks = [s for s in (poll, files) if s > 0]
    if not ticks:
        return
    tick = min(ticks)
    registry, store = _registry(hub), flow_versions(hub)
    loop = asyncio.get_running_loop()
    next_poll = next_files = loop.time()
    while True:
        await asyncio.sleep(tick)
        now = loop.time()
        try:
            now_too = False  # a file edit was published: load it at once
            if files > 0 and now >= next_files:
                next_files = now + files
                touched = registry.edited_files()
                edited = {n: t for n, t in touched.items() if registry.published.get(n) != t}
                if touched and not edited:
                    registry.note_files()  # saved again as it was
                if edited:
                    now_too = await _publish_files(hub, edited)
            if (poll > 0 and now >= next_poll) or now_too:
                next_poll = now + poll
                # published_id moves when this process published (the API reloads at once)
                if await store.newest_id() != registry.published_id:
                    await refresh(hub)
                    log.info("flows.reloaded count=%d problems=%d", len(registry.flows),
                             len(registry.problems))
        except Exception:  # a database hiccup must not stop following
            log.exception("flows.follow.failed; the flows in use are unchanged")
