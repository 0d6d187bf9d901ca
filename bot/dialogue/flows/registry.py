"""The live set of flows: loaded from a folder, reloaded on change, last good kept.

Each process watches the folder itself (``watch``), so every worker picks up an edit
without a restart. An edit that fails validation leaves that file's last good version
live and logs why (``flows.reload.rejected``).
"""

from __future__ import annotations

import asyncio
import functools
import logging
import unicodedata
from collections.abc import Callable, Iterable
from pathlib import Path

from bot.dialogue.flows import errors as E
from bot.dialogue.flows.loader import load_flow_file
from bot.dialogue.flows.model import Flow, Menu
from bot.dialogue.flows.validate import validate_flow, validate_menu

log = logging.getLogger("tongguan.flows")


@functools.lru_cache(maxsize=8192)  # titles, keywords and labels are normalized per turn
def normalize_command(text: str) -> str:
    """Lower-case, NFKC, without surrounding punctuation/space: for keyword matching."""
    text = unicodedata.normalize("NFKC", text).strip().lower()
    return text.strip(" \t\r\n.,!?;:~。，！？；：、…")


class FlowRegistry:
    """Flows by id, with lookups by trigger."""

    def __init__(self, directory: Path, *, action_names: Callable[[], Iterable[str]],
                 action_sets: Callable[[str], Iterable[str]],
                 slot_param_problems: Callable[[str, dict], list[str] | None]) -> None:
        self.directory = Path(directory)
        self._action_names = action_names
        self._action_sets = action_sets
        self._slot_param_problems = slot_param_problems
        self.flows: dict[str, Flow] = {}
        self.menu: Menu | None = None
        self.problems: list[E.FlowError] = []
        self._good: dict[str, Flow | Menu] = {}
        self._stamps: dict[str, float] = {}
        self._version = 0

    @property
    def version(self) -> int:
        """Increases on every reload that changed something."""
        return self._version

    def _scan(self) -> dict[str, float]:
        try:
            return {str(p): p.stat().st_mtime for p in sorted(self.directory.glob("*.yml"))}
        except OSError:
            return {}

    def load(self) -> list[E.FlowError]:
        """(Re)load every file; returns the problems found (the live set stays valid)."""
        stamps = self._scan()
        problems: list[E.FlowError] = []
        parsed: dict[str, Flow | Menu] = {}
        for file in stamps:
            obj, found = load_flow_file(Path(file))
            problems += found
            if obj is not None and not found:
                parsed[file] = obj
            elif file in self._good:
                parsed[file] = self._good[file]
        flows: dict[str, Flow] = {}
        owner: dict[str, str] = {}
        for file, obj in parsed.items():
            if isinstance(obj, Flow):
                if obj.id in flows:
                    problems.append(E.DuplicateIdError(
                        f"flow id '{obj.id}' is also used by {owner[obj.id]}", file=file,
                        line=obj.line, flow=obj.id))
                    continue
                flows[obj.id] = obj
                owner[obj.id] = file
        # Drop flows that fail cross-checks, falling back to their last good version.
        for _ in range(3):
            bad = {}
            for fid, flow in flows.items():
                found = validate_flow(flow, flows, action_names=self._action_names(),
                                      action_sets=self._action_sets,
                                      slot_param_problems=self._slot_param_problems)
                if found:
                    bad[fid] = found
            if not bad:
                break
            for fid, found in bad.items():
                problems += [p for p in found if p not in problems]
                old = self._good.get(owner[fid])
                if isinstance(old, Flow) and old is not flows[fid] and old.id == fid:
                    flows[fid] = old
                else:
                    del flows[fid]
        menus = [o for o in parsed.values() if isinstance(o, Menu)]
        menu = menus[0] if menus else None
        if menu is not None:
            problems += validate_menu(menu, flows)
        self.flows = flows
        self.menu = menu
        self._good = {owner[f.id]: f for f in flows.values()}
        if menu is not None:
            self._good[menu.file] = menu
        self._stamps = stamps
        self.problems = problems
        self._version += 1
        for problem in problems:
            log.warning("flows.reload.rejected %s", problem.describe())
        return problems

    def changed(self) -> bool:
        return self._scan() != self._stamps

    async def watch(self, interval: float) -> None:
        """Reload whenever a file changes, appears or goes; ``interval`` 0 turns it off."""
        if interval <= 0:
            return
        while True:
            await asyncio.sleep(interval)
            if self.changed():
                self.load()
                log.info("flows.reloaded count=%d problems=%d", len(self.flows),
                         len(self.problems))

    # -- lookups -----------------------------------------------------------------
    def get(self, flow_id: str) -> Flow | None:
        return self.flows.get(flow_id)

    def by_keyword(self, text: str) -> Flow | None:
        """A flow one of whose keywords is the message, or is contained in it."""
        norm = normalize_command(text)
        if not norm:
            return None
        best: tuple[int, Flow] | None = None
        for flow in self.flows.values():
            for kw in flow.triggers.keywords:
                k = normalize_command(kw)
                if k and (norm == k or (len(k) >= 2 and k in norm and len(norm) <= 40)):
                    score = 1000 if norm == k else len(k)
                    if best is None or score > best[0]:
                        best = (score, flow)
        return best[1] if best else None

    def by_intent(self, intent: str) -> Flow | None:
        for flow in self.flows.values():
            if intent in flow.triggers.intents:
                return flow
        return None

    def by_menu_key(self, key: str) -> Flow | None:
        for flow in self.flows.values():
            if key in (flow.triggers.menu_key, flow.id):
                return flow
        return None

    def by_scene(self, scene: str) -> tuple[Flow, str] | None:
        """The flow whose scene prefix starts ``scene``, and the rest of the scene."""
        for flow in self.flows.values():
            prefix = flow.triggers.scene_prefix
            if prefix and scene.startswith(prefix):
                return flow, scene[len(prefix):]
        return None
