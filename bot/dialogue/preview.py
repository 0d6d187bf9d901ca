"""Trying a draft flow as a resident would, with nothing done for real (the studio's
preview pane, ``POST /api/v1/admin/flows/{name}/preview``).

The draft runs in an engine of its own: the live flows with the draft in place of its
namesake, every action replaced by a stand-in that only says what would run (nothing
saved, no code issued, no stock held), no profiles, no handoffs, the sender holding
every staff role (so a staff-only draft can be tried), and a conversation store in
memory. The conversation travels with the client as ``preview_id``: the state sealed
with the process's key, so any process can take the next turn and none keeps anything.
"""

from __future__ import annotations

import base64
import binascii
import secrets
from typing import TYPE_CHECKING, Any

from bot.actions import ActionContext, ActionRegistry, ActionResult
from bot.dialogue.engine import Engine
from bot.dialogue.flows.model import Flow
from bot.dialogue.flows.registry import FlowRegistry
from bot.dialogue.store import MemoryStore
from bot.errors import TongguanError
from bot.messages import Inbound, Reply
from bot.roles import STAFF_ROLES

if TYPE_CHECKING:
    from bot.hub import Hub

CHANNEL = "preview"
CONTEXT = b"flow-preview"  #: seals preview states apart from every other sealed value
MAX_PREVIEW_ID = 64 * 1024  #: characters of a preview_id accepted


class PreviewExpired(TongguanError):
    """A ``preview_id`` this server cannot open (damaged, or sealed with another key)."""


def dry_run_actions(actions: ActionRegistry) -> ActionRegistry:
    """Every action of ``actions`` as a stand-in: it sets the slots the action declares
    (to a placeholder) and says, in the user's language, that it did not run. An action
    registered with ``preview=True`` (it only reads) runs for real."""
    dry = ActionRegistry()
    for name in actions.names():
        spec = actions.get(name)
        sets = spec.sets
        if spec.preview:
            dry.register(name, spec.fn, description=spec.description, sets=sets,
                         needs_lock=False, preview=True)
            continue

        async def stand_in(ctx: ActionContext, name: str = name,
                           sets: frozenset[str] = sets) -> ActionResult:
            text = (f"〔预览〕这里会执行 {name}（未执行，未保存）" if ctx.lang == "zh"
                    else f"[preview] {name} would run here (not run, nothing saved)")
            return ActionResult(slots={slot: f"<{slot}>" for slot in sets},
                                replies=[Reply.say(text)])

        dry.register(name, stand_in, sets=sets, needs_lock=False)
    return dry


async def _every_role(_user_key: str) -> frozenset[str]:
    return frozenset(STAFF_ROLES)


class _PreviewStore(MemoryStore):
    """The memory store, holding the one conversation of a preview."""

    def put(self, user_key: str, state: dict[str, Any]) -> None:
        self._data[user_key] = state

    def take(self, user_key: str) -> dict[str, Any]:
        return self._data.get(user_key) or {}


def _seal(hub: Hub, user: str, state: dict[str, Any]) -> str:
    blob = hub.sealer.seal({"user": user, "state": state}, context=CONTEXT)
    return base64.urlsafe_b64encode(blob).decode().rstrip("=")


def _open(hub: Hub, preview_id: str) -> tuple[str, dict[str, Any]]:
    if len(preview_id) > MAX_PREVIEW_ID:
        raise PreviewExpired("preview_id is too long")
    try:
        blob = base64.urlsafe_b64decode(preview_id + "=" * (-len(preview_id) % 4))
        data = hub.sealer.open(blob, context=CONTEXT)
    except (binascii.Error, ValueError, TongguanError) as err:
        raise PreviewExpired("this preview cannot be continued; start it again") from err
    if not isinstance(data, dict) or not isinstance(data.get("state"), dict):
        raise PreviewExpired("this preview cannot be continued; start it again")
    return str(data.get("user", "")), data["state"]


async def preview_turn(hub: Hub, registry: FlowRegistry, flow: Flow, *, text: str,
                       preview_id: str | None) -> tuple[str, list[Reply]]:
    """One turn of a preview of ``flow`` (a draft): without ``preview_id`` the draft
    starts at its first step; returns the next ``preview_id`` and the replies.

    Raises:
        PreviewExpired: ``preview_id`` cannot be opened.
    """
    assert hub.interpreter is not None, "the hub has its dialogue"
    store = _PreviewStore()
    if preview_id:
        user, state = _open(hub, preview_id)
        store.put(f"{CHANNEL}:{user}", state)
        inbound = Inbound(channel=CHANNEL, user_id=user, text=text)
    else:
        user = secrets.token_hex(8)
        inbound = Inbound(channel=CHANNEL, user_id=user, kind="start", trigger="flow",
                          value=flow.id)
    engine = Engine(flows=registry.with_draft(flow), interpreter=hub.interpreter,  # type: ignore[arg-type]
                    actions=dry_run_actions(hub.actions), store=store, clock=hub.clock,
                    default_lang=hub.settings.default_language, roles=_every_role,
                    threshold=hub.settings.nlu.threshold)
    replies = await engine.handle(inbound)
    return _seal(hub, user, store.take(inbound.user_key)), replies
