"""The live set of flows: loaded from a folder, reloaded on change, last good kept.

Flows are named by their file's stem. A text of a name in :attr:`FlowRegistry.published`
(the live versions in the database, see :mod:`bot.dialogue.flows.published`) is used
instead of that file, and may name a flow that has no file. Edits reach every process
through the database (``published.follow``). An edit that fails validation leaves that
flow's last good version live and logs why (``flows.reload.rejected``); at start-up
there is no last good version, so such a file is simply left out. Nothing in a file
stops the loading or the watching: a failure of the checks themselves is logged with
its traceback and reported as a problem.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import unicodedata
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path

from bot.dialogue.flows import errors as E
from bot.dialogue.flows.loader import ParsedFile, load_flow_file, parse_flow
from bot.dialogue.flows.model import Flow, Menu
from bot.dialogue.flows.validate import validate_flow, validate_menu

log = logging.getLogger("tongguan.flows")


@functools.lru_cache(maxsize=8192)  # titles, keywords and labels are normalized per turn
def normalize_command(text: str) -> str:
    """Lower-case, NFKC, without surrounding punctuation/space: for keyword matching."""
    text = unicodedata.normalize("NFKC", text).strip().lower()
    return text.strip(" \t\r\n.,!?;:~。，！？；：、…")


MAX_EARLIER = 256  #: replaced flow versions kept in memory


class FlowRegistry:
    """Flows by id, with lookups by trigger."""

    def __init__(self, directory: str | Path, *, action_names: Callable[[], Iterable[str]],
                 action_sets: Callable[[str], Iterable[str]],
                 slot_param_problems: Callable[[str, dict], list[str] | None]) -> None:
        self.directory = Path(directory)
        self._action_names = action_names
        self._action_sets = action_sets
        self._slot_param_problems = slot_param_problems
        self.flows: dict[str, Flow] = {}
        self._keyword_flows: dict[str, Flow] | None = None  #: the flows of _keyword_list
        self._keyword_list: list[tuple[str, Flow]] = []
        self.menu: Menu | None = None
        self.problems: list[E.FlowError] = []
        self._good: dict[str, Flow | Menu] = {}
        self._stamps: dict[str, float] = {}
        self._version = 0
        #: name → YAML text of the live database version, used instead of the file
        self.published: dict[str, str] = {}
        #: the newest ``flow_versions`` id ``published`` was read at (0: none yet)
        self.published_id = 0
        #: (label, text) → its parse, from the last load: a reload parses changed texts only
        self._parses: dict[tuple[str, str], ParsedFile] = {}
        #: versions replaced while this process ran, by (flow id, version): what a
        #: conversation started on one was asked (see bot.dialogue.flow_update)
        self._earlier: dict[tuple[str, str], Flow] = {}

    @property
    def version(self) -> int:
        """Increases on every reload that changed something."""
        return self._version

    def _scan(self) -> dict[str, float]:
        try:
            return {str(p): p.stat().st_mtime for p in sorted(self.directory.glob("*.yml"))}
        except OSError:
            return {}

    def label(self, name: str) -> str:
        """Where problems of the flow named ``name`` say they are."""
        return str(self.directory / f"{name}.yml")

    def file_texts(self) -> dict[str, str]:
        """name → text of every readable file in the folder."""
        texts = {}
        for file in self._scan():
            try:
                texts[Path(file).stem] = Path(file).read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError):
                continue
        return texts

    def _texts(self, files: Iterable[str], candidates: Mapping[str, str]
               ) -> dict[str, str | None]:
        """label → text to parse (None: read the file), files and published names."""
        units: dict[str, str | None] = {}
        for file in files:
            name = Path(file).stem
            units[file] = candidates.get(name, self.published.get(name))
        for name, text in {**self.published, **candidates}.items():
            units.setdefault(self.label(name), text)
        return units

    def load(self, candidates: Mapping[str, str] | None = None) -> list[E.FlowError]:
        """(Re)load every flow; returns the problems found (the live set stays valid).

        ``candidates`` (name → text) are tried instead of the published or file text;
        one that fails keeps its flow's last good version live.
        """
        stamps = self._scan()
        problems: list[E.FlowError] = []
        parsed: dict[str, Flow | Menu] = {}
        partial: list[tuple[Flow, frozenset[str]]] = []  # with problems: checked, never live
        parses: dict[tuple[str, str], ParsedFile] = {}
        for file, text in self._texts(stamps, candidates or {}).items():
            if text is None:
                result = self._parse(file)
            else:
                cached = self._parses.get((file, text))
                result = parses[(file, text)] = cached or self._parse(file, text)
            problems += result.problems
            if result.obj is not None and not result.problems:
                parsed[file] = result.obj
            else:
                if isinstance(result.obj, Flow):
                    partial.append((result.obj, result.unparsed))
                if file in self._good:
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
        # Drop flows that fail cross-checks, falling back to their last good version (each
        # flow at most twice: its new version, then its last good one).
        for _ in range(2 * len(flows) + 1):
            bad = {fid: found for fid, flow in flows.items() if (found := self._check(flow, flows))}
            if not bad:
                break
            for fid, found in bad.items():
                problems += found
                old = self._good.get(owner[fid])
                if isinstance(old, Flow) and old is not flows[fid] and old.id == fid:
                    flows[fid] = old
                else:
                    del flows[fid]
        for flow, unparsed in partial:
            problems += self._check(flow, {**flows, flow.id: flow}, unparsed)
        menus = [o for o in parsed.values() if isinstance(o, Menu)]
        menu = menus[0] if menus else None
        for other in menus[1:]:
            problems.append(E.DuplicateIdError(f"a second menu file; {menus[0].file} is used",
                                               file=other.file, line=1))
        if menu is not None:
            problems += validate_menu(menu, flows)
        for old in self.flows.values():
            if (new := flows.get(old.id)) is None or new.version != old.version:
                self._earlier[(old.id, old.version)] = old
        while len(self._earlier) > MAX_EARLIER:
            del self._earlier[next(iter(self._earlier))]
        self.flows = flows
        self.menu = menu
        self._good = {owner[f.id]: f for f in flows.values()}
        if menu is not None:
            self._good[menu.file] = menu
        self._stamps = stamps
        self._parses = parses
        self.problems = problems = _unique(problems)
        self._version += 1
        for problem in problems:
            log.warning("flows.reload.rejected %s", problem.describe())
        return problems

    def earlier(self, flow_id: str, version: str) -> Flow | None:
        """A version of a flow that was live earlier in this process, if still kept."""
        return self._earlier.get((flow_id, version))

    def _parse(self, file: str, text: str | None = None) -> ParsedFile:
        """One file's (or text's) result; a failure of the loader itself becomes a
        reported problem."""
        try:
            if text is None:
                return load_flow_file(Path(file))
            return parse_flow(text, file)
        except Exception as err:  # a bug must not stop the others loading
            log.exception("flows.reload.failed %s", file)
            return ParsedFile(None, [E.CheckFailedError(_failure(err), file=file, line=1)])

    def _check(self, flow: Flow, flows: dict[str, Flow],
               unparsed: frozenset[str] | None = None) -> list[E.FlowError]:
        """``validate_flow`` against this process's actions and slot types; never raises."""
        try:
            return validate_flow(flow, flows, action_names=self._action_names(),
                                 action_sets=self._action_sets,
                                 slot_param_problems=self._slot_param_problems,
                                 unparsed=unparsed)
        except Exception as err:  # a bug must not stop the others loading
            log.exception("flows.reload.failed %s (flow %s)", flow.file, flow.id)
            return [E.CheckFailedError(_failure(err), file=flow.file, line=flow.line,
                                       flow=flow.id)]

    def changed(self) -> bool:
        return self._scan() != self._stamps

    def edited_files(self) -> dict[str, str]:
        """name → text of the files changed or added since the last load (not gone ones)."""
        edited = {}
        for file, stamp in self._scan().items():
            if self._stamps.get(file) != stamp:
                try:
                    edited[Path(file).stem] = Path(file).read_text(encoding="utf-8")
                except (OSError, UnicodeDecodeError):
                    continue
        return edited

    def note_files(self) -> None:
        """Take the files as they are now as seen (their texts need no reload)."""
        self._stamps = self._scan()

    def check_text(self, name: str, text: str, *, require_name: bool = True
                   ) -> tuple[Flow | Menu | None, list[E.FlowError]]:
        """What ``text`` would be as the flow named ``name``, checked against the live
        flows (it replaces the live one of that name); nothing changes.
        ``require_name``: its ``id`` must be ``name`` (files may differ)."""
        result = self._parse(self.label(name), text)
        problems = list(result.problems)
        obj = result.obj
        if isinstance(obj, Flow):
            if require_name and obj.id != name:
                problems.append(E.BadValueError(
                    f"'id' is '{obj.id}' but this flow is named '{name}'",
                    file=obj.file, line=obj.line, flow=obj.id))
            others = {fid: f for fid, f in self.flows.items() if fid != obj.id}
            problems += self._check(obj, {**others, obj.id: obj},
                                    result.unparsed if result.problems else None)
        elif isinstance(obj, Menu):
            problems += validate_menu(obj, self.flows)
        return obj, _unique(problems)

    def with_draft(self, flow: Flow) -> FlowRegistry:
        """A copy of this registry with ``flow`` live in place of its namesake (for a
        preview); this registry is unchanged."""
        copy = FlowRegistry(self.directory, action_names=self._action_names,
                            action_sets=self._action_sets,
                            slot_param_problems=self._slot_param_problems)
        copy.flows = {**self.flows, flow.id: flow}
        copy.menu = self.menu
        return copy

    async def watch(self, interval: float) -> None:
        """Reload whenever a file changes, appears or goes; ``interval`` 0 turns it off.

        Survives anything a reload raises: logs it, keeps the last good flows, and tries
        again once the files change again.
        """
        if interval <= 0:
            return
        while True:
            await asyncio.sleep(interval)
            stamps = self._scan()
            if stamps == self._stamps:
                continue
            try:
                self.load()
            except Exception:
                log.exception("flows.reload.failed; the flows in use are unchanged")
                self._stamps = stamps
                continue
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
        for k, flow in self._keywords():
            if norm == k or (len(k) >= 2 and k in norm and len(norm) <= 40):
                score = 1000 if norm == k else len(k)
                if best is None or score > best[0]:
                    best = (score, flow)
        return best[1] if best else None

    def _keywords(self) -> list[tuple[str, Flow]]:
        """Every flow's keywords normalized, in flow and keyword order: worked out once
        per set of flows (a load replaces ``flows`` whole), not on every message."""
        if self._keyword_flows is not self.flows:
            self._keyword_list = [(k, flow) for flow in self.flows.values()
                                  for kw in flow.triggers.keywords
                                  if (k := normalize_command(kw))]
            self._keyword_flows = self.flows
        return self._keyword_list

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


def _failure(err: Exception) -> str:
    return (f"could not be checked: {type(err).__name__}: {err} (a fault in Tongguan; "
            "the log has the details)")


def _unique(problems: list[E.FlowError]) -> list[E.FlowError]:
    """Problems in order, each reported once (a flow may be checked more than once)."""
    unique: dict[str, E.FlowError] = {}
    for problem in problems:
        unique.setdefault(problem.describe(), problem)
    return list(unique.values())
