"""How questions, options and summaries are put into replies."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from bot.dialogue.flows.model import CollectStep, ConfirmStep, Flow
from bot.dialogue.slots import get_slot_type
from bot.dialogue.texts import t
from bot.messages import Option, Reply

_PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")
CHOICE_TYPES = frozenset({"choice", "multi_choice"})


def step_params(step: CollectStep, slots: Mapping[str, Any]) -> dict[str, Any]:
    """The step's parameters with ``options_from`` resolved from the slots."""
    params = dict(step.params)
    source = params.pop("options_from", None)
    if source:
        params["options"] = list(slots.get(source) or [])
    return params


def display(flow: Flow, slot: str, value: Any, lang: str, slots: Mapping[str, Any]) -> str:
    """A slot value as the user should read it."""
    if value is None:
        return "—" if lang == "en" else "（未填）"
    step = flow.collect_step(slot)
    if step is None:
        if isinstance(value, list):
            return "、".join(map(str, value)) if lang == "zh" else ", ".join(map(str, value))
        return str(value)
    return get_slot_type(step.type).display(value, lang, step_params(step, slots))


def fill(text: str, flow: Flow, slots: Mapping[str, Any], lang: str) -> str:
    """Replace ``{slot}`` placeholders by display values; unknown ones become empty.

    A regex, not ``str.format``: admins write these texts, and format would let
    ``{x.__class__}`` reach attributes.
    """
    return _PLACEHOLDER.sub(
        lambda m: display(flow, m.group(1), slots[m.group(1)], lang, slots)
        if m.group(1) in slots else "", text)


def question(flow: Flow, step: CollectStep, slots: Mapping[str, Any], lang: str, *,
             reprompt: bool = False) -> Reply:
    """The question of a collect step, with tappable options where there are some."""
    text = step.reprompt.get(lang) if reprompt and step.reprompt else step.prompt.get(lang)
    text = fill(text, flow, slots, lang)
    if step.optional:
        text += ("\n（选填，回复「跳过」可略过）" if lang == "zh"
                 else "\n(Optional: reply \"skip\".)")
    params = step_params(step, slots)
    if step.type in CHOICE_TYPES and params.get("options"):
        options = tuple(Option(str(o.get(lang) or o.get("en") or o["value"]), str(o["value"]))
                        for o in params["options"])
        return Reply(type="options", text=text, options=options)
    if step.type == "yes_no":
        return yes_no(text, lang)
    return Reply.say(text)


def yes_no(text: str, lang: str) -> Reply:
    return Reply(type="options", text=text,
                 options=(Option(t("yes", lang), t("yes", lang)),
                          Option(t("no", lang), t("no", lang))))


def editable_slots(flow: Flow, step_index: int, history: list[int]) -> list[str]:
    """The slots a user may change now: a confirm step's, else those answered so far."""
    step = flow.steps[step_index] if step_index < len(flow.steps) else None
    if isinstance(step, ConfirmStep):
        return list(step.slots)
    names: list[str] = []
    for i in history:
        s = flow.steps[i]
        if isinstance(s, CollectStep) and s.slot not in names:
            names.append(s.slot)
    return names


def summary(flow: Flow, step: ConfirmStep, slots: Mapping[str, Any], lang: str) -> Reply:
    """The numbered summary of a confirm step, with confirm / change buttons."""
    lines = [fill(step.prompt.get(lang), flow, slots, lang)]
    for n, name in enumerate(step.slots, 1):
        collect = flow.collect_step(name)
        label = collect.label.get(lang) if collect else name
        label = label.rstrip("？?：: ")
        lines.append(f"{n}. {label}：{display(flow, name, slots.get(name), lang, slots)}"
                     if lang == "zh" else
                     f"{n}. {label}: {display(flow, name, slots.get(name), lang, slots)}")
    lines.append(t("confirm_options", lang))
    return Reply(type="options", text="\n".join(lines),
                 options=(Option(t("confirm_yes", lang), t("confirm_yes", lang)),
                          Option(t("confirm_change", lang), t("confirm_change", lang))))
