"""Conversation state: a stack of running flow frames, paused stacks, a pending offer.

Plain dataclasses that round-trip through JSON (the store seals the JSON at rest).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass
class Frame:
    """One running flow.

    ``mode`` says what the user's next message answers: ``ask`` (the collect step at
    ``step``), ``confirm`` (the summary), ``pick`` (which field to change), ``edit``
    (the new value of ``editing``), ``reuse`` (use the saved profile value?).
    """

    flow: str
    step: int = 0
    slots: dict[str, Any] = field(default_factory=dict)
    mode: str = ""
    editing: str = ""
    fails: int = 0
    history: list[int] = field(default_factory=list)  #: collect steps answered, in order
    called: bool = False  #: started by a ``call`` step of the frame below
    version: str = ""  #: the flow's version when last saved (see bot.dialogue.flow_update)
    at: str = ""  #: the id of the step at ``step`` when last saved

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Frame:
        """Keys this version does not know (written by a newer one) are ignored."""
        try:
            return cls(**data)
        except TypeError:  # the rare case: not on every load
            return cls(**{k: v for k, v in data.items() if k in _FRAME_FIELDS})

    def to_json(self) -> dict[str, Any]:
        return {"flow": self.flow, "step": self.step, "slots": self.slots, "mode": self.mode,
                "editing": self.editing, "fails": self.fails, "history": self.history,
                "called": self.called, "version": self.version, "at": self.at}


_FRAME_FIELDS = frozenset(Frame.__dataclass_fields__)


@dataclass
class State:
    """Everything the engine remembers about one conversation."""

    lang: str = ""
    lang_chosen: bool = False  #: the user picked the language explicitly
    stack: list[Frame] = field(default_factory=list)
    paused: list[list[Frame]] = field(default_factory=list)
    pending: dict[str, Any] = field(default_factory=dict)  #: an offer awaiting yes/no
    last_active: str = ""  #: ISO time of the last handled message
    #: the user's handoff request not yet seen closed (0: none): while a staff member has
    #: claimed it, the user's messages go to them (see bot.dialogue.handoff_relay)
    handoff: int = 0

    @property
    def top(self) -> Frame | None:
        return self.stack[-1] if self.stack else None

    def touch(self, now: datetime) -> None:
        self.last_active = now.isoformat()

    def to_json(self) -> dict[str, Any]:
        """Plain data (shares nested values with the state: serialise it before changes)."""
        return {"lang": self.lang, "lang_chosen": self.lang_chosen,
                "stack": [f.to_json() for f in self.stack],
                "paused": [[f.to_json() for f in s] for s in self.paused],
                "pending": self.pending, "last_active": self.last_active,
                **({"handoff": self.handoff} if self.handoff else {})}

    @classmethod
    def from_json(cls, data: dict[str, Any] | None) -> State:
        if not data:
            return cls()
        return cls(lang=data.get("lang", ""), lang_chosen=data.get("lang_chosen", False),
                   stack=[Frame.from_json(f) for f in data.get("stack", [])],
                   paused=[[Frame.from_json(f) for f in s] for s in data.get("paused", [])],
                   pending=data.get("pending") or {}, last_active=data.get("last_active", ""),
                   handoff=data.get("handoff", 0))
