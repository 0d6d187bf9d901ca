"""Profile reuse: saved identity fields offered back, kept only with consent."""

from __future__ import annotations

from typing import Any

from bot.dialogue.flows.model import CollectStep, Flow
from bot.dialogue.prompts import yes_no
from bot.dialogue.state import Frame
from bot.dialogue.texts import t
from bot.dialogue.turn import Turn
from bot.services.profiles import ProfileData


async def profile(turn: Turn) -> ProfileData:
    """The user's saved profile, read once per turn."""
    if turn.profile is None:
        profiles = turn.parts.profiles
        turn.profile = (await profiles.get(turn.inbound.user_key) if profiles
                        else ProfileData())
    return turn.profile


async def saved_value(turn: Turn, step: CollectStep) -> Any:
    """A saved value offered for reuse, or None."""
    if not step.profile or turn.parts.profiles is None:
        return None
    data = await profile(turn)
    return data.values.get(step.slot) if data.consent else None


async def keep_answers(turn: Turn, flow: Flow, frame: Frame) -> bool:
    """Keep, or offer to keep, a finished flow's profile answers; True when it asked."""
    profiles = turn.parts.profiles
    values = {s.slot: frame.slots[s.slot] for s in flow.steps
              if isinstance(s, CollectStep) and s.profile
              and frame.slots.get(s.slot) is not None}
    if not values or profiles is None:
        return False
    data = await profile(turn)
    if data.consent is None:
        labels = [s.label.get(turn.lang).rstrip("？?：: ") for s in flow.steps
                  if isinstance(s, CollectStep) and s.slot in values]
        turn.state.pending = {"kind": "consent", "values": values}
        sep = "、" if turn.lang == "zh" else ", "
        turn.replies.append(yes_no(t("consent_offer", turn.lang, fields=sep.join(labels)),
                                   turn.lang))
        return True
    if data.consent:
        await turn.exclusive()
        await profiles.save(turn.inbound.user_key, consent=True, values=values)
    return False
