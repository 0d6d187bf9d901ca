"""What a flow is, as data. The executor (``bot.dialogue.executor``) runs it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from bot.conditions import Condition

END = "end"  #: the goto target that ends the flow


@dataclass(frozen=True)
class Text:
    """A text in both languages; ``{slot}`` placeholders are filled when shown."""

    zh: str
    en: str

    def get(self, lang: str) -> str:
        return self.zh if lang == "zh" else self.en


@dataclass(frozen=True)
class Triggers:
    """How a flow starts."""

    intents: tuple[str, ...] = ()
    keywords: tuple[str, ...] = ()
    menu_key: str = ""
    scene_prefix: str = ""


@dataclass(frozen=True)
class Step:
    """Common to every step: its id, where it was written, and an optional guard."""

    id: str
    line: int
    when: Condition | None  #: skip the step unless this holds


@dataclass(frozen=True)
class CollectStep(Step):
    """Ask for a typed slot, validate, re-prompt on a bad answer."""

    slot: str
    type: str
    prompt: Text
    label: Text
    reprompt: Text | None = None
    optional: bool = False
    profile: bool = False  #: remembered for reuse with the user's consent
    params: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class SayStep(Step):
    """Say something and go on."""

    text: Text


@dataclass(frozen=True)
class ConfirmStep(Step):
    """Show a numbered summary; the user confirms or changes a field by its number."""

    slots: tuple[str, ...]
    prompt: Text


@dataclass(frozen=True)
class BranchStep(Step):
    """Go to the first case whose condition holds, else ``default`` (or the next step)."""

    cases: tuple[tuple[Condition, str], ...]
    default: str | None = None


@dataclass(frozen=True)
class SetStep(Step):
    """Set slots to fixed values."""

    values: Mapping[str, Any]


@dataclass(frozen=True)
class ActionStep(Step):
    """Run a registered action by name."""

    action: str
    params: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class CallStep(Step):
    """Run another flow, then come back here with its answers."""

    flow: str


@dataclass(frozen=True)
class LinkStep(Step):
    """End this flow and start another."""

    flow: str


@dataclass(frozen=True)
class Flow:
    """One flow file."""

    id: str
    title: Text
    triggers: Triggers
    steps: tuple[Step, ...]
    file: str
    line: int = 1
    menu: bool = True  #: listed in the main menu
    description: Text | None = None
    #: fingerprint of the file's text: a conversation started on another version of the
    #: flow is brought onto this one (see :mod:`bot.dialogue.flow_update`)
    version: str = ""
    #: staff roles the flow is for (any one of them admits); empty: everyone, residents too
    audience: tuple[str, ...] = ()

    def index_of(self, step_id: str) -> int:
        for i, step in enumerate(self.steps):
            if step.id == step_id:
                return i
        raise KeyError(step_id)

    def collect_step(self, slot: str) -> CollectStep | None:
        """The first step collecting ``slot`` (None when no step does)."""
        return self._collect_steps.get(slot)

    @cached_property
    def _collect_steps(self) -> dict[str, CollectStep]:
        # built once per flow (a turn looks steps up by slot many times: the summary
        # shows each slot); cached_property writes the instance dict, past frozen
        steps: dict[str, CollectStep] = {}
        for step in self.steps:
            if isinstance(step, CollectStep):
                steps.setdefault(step.slot, step)
        return steps


@dataclass(frozen=True)
class Menu:
    """The greeting / main menu / help presentation (``flows/menu.yml``)."""

    greeting: Text
    help: Text
    fallback: Text
    items: tuple[str, ...]  #: flow ids in menu order
    file: str = ""
