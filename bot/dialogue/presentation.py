"""Replies that show where the conversation stands: the menu, what it waits for, offers."""

from __future__ import annotations

from bot.dialogue.flows.model import CollectStep, ConfirmStep, Flow
from bot.dialogue.prompts import editable_slots, question, summary, yes_no
from bot.dialogue.texts import t
from bot.dialogue.turn import Turn
from bot.messages import Option, Reply


async def menu_flows(turn: Turn) -> list[Flow]:
    """The live flows of the main menu that the sender may start, in menu order."""
    flows = turn.parts.flows
    menu = flows.menu
    items = [f for f in (flows.get(i) for i in (menu.items if menu else ())) if f]
    if any(f.audience for f in items):
        await turn.sender_roles()
    return [f for f in items if turn.may_start(f)]


async def greet(turn: Turn, *, with_greeting: bool = True) -> None:
    """The menu (after its greeting unless ``with_greeting`` is False)."""
    menu = turn.parts.flows.menu
    lang = turn.lang
    items = await menu_flows(turn)
    lines = [menu.greeting.get(lang)] if menu and with_greeting else []
    lines.append(t("menu_prompt", lang))
    turn.replies.append(Reply(type="options", text="\n".join(lines),
                              options=tuple(Option(f.title.get(lang), f.title.get(lang))
                                            for f in items)))


def waiting_replies(turn: Turn) -> list[Reply]:
    """What the top frame waits for, as replies (none when it waits for nothing)."""
    frame = turn.state.top
    flow = turn.parts.flow(frame.flow) if frame else None
    if frame is None or flow is None or frame.step >= len(flow.steps):
        return []
    step = flow.steps[frame.step]
    lang = turn.lang
    if frame.mode == "confirm" and isinstance(step, ConfirmStep):
        return [summary(flow, step, frame.slots, lang)]
    if frame.mode == "pick":
        names = editable_slots(flow, frame.step, frame.history)
        lines = [t("pick_field", lang, n=len(names))]
        for n, name in enumerate(names, 1):
            s = flow.collect_step(name)
            lines.append(f"{n}. {s.label.get(lang) if s else name}")
        return [Reply.say("\n".join(lines))]
    editing = flow.collect_step(frame.editing) if frame.mode == "edit" else None
    if editing is not None:  # None too when a flow update dropped the slot being edited
        return [question(flow, editing, frame.slots, lang)]
    if frame.mode == "reuse" and isinstance(step, CollectStep):
        return [yes_no(step.prompt.get(lang), lang)]
    if isinstance(step, CollectStep):
        return [question(flow, step, frame.slots, lang)]
    return []


def reask(turn: Turn) -> None:
    """Repeat whatever the conversation is waiting for."""
    turn.replies.extend(waiting_replies(turn))


def offer_resume(turn: Turn) -> None:
    """Offer to go back to the most recently paused flow."""
    state = turn.state
    title = turn.parts.title(state.paused[-1][0].flow, turn.lang)
    state.pending = {"kind": "resume"}
    turn.replies.append(yes_no(t("resume_offer", turn.lang, flow=title), turn.lang))


def offer_idle(turn: Turn) -> None:
    """After a long pause: continue the running flow, or start it again?"""
    lang = turn.lang
    turn.state.pending = {"kind": "idle"}
    title = turn.parts.title(turn.state.stack[0].flow, lang)
    options = tuple(Option(t(key, lang), t(key, lang))
                    for key in ("idle_continue", "idle_restart"))
    turn.replies.append(Reply(type="options", text=t("idle_offer", lang, flow=title),
                              options=options))
