"""Profile reuse: saved identity fields offered back, kept only with consent."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from bot.dialogue.executor import Turn
from bot.dialogue.flows.model import CollectStep, Flow
from bot.dialogue.prompts import yes_no
from bot.dialogue.state import Frame
from bot.dialogue.texts import t
from bot.services.profiles import ProfileData

if TYPE_CHECKING:
    from bot.dialogue.engine import Engine


class ProfileReuse:
    """Reads the saved profile once per turn; offers values; asks for consent once."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    async def profile(self, turn: Turn) -> ProfileData:
        if turn.profile is None:
            profiles = self.engine.profiles
            turn.profile = (await profiles.get(turn.inbound.user_key) if profiles
                            else ProfileData())
        return turn.profile

    async def value(self, turn: Turn, step: CollectStep) -> Any:
        """A saved value offered for reuse, or None."""
        if not step.profile or self.engine.profiles is None:
            return None
        data = await self.profile(turn)
        return data.values.get(step.slot) if data.consent else None

    async def after_flow(self, turn: Turn, flow: Flow, frame: Frame) -> bool:
        """Keep or offer to keep profile answers; True when it asked the user."""
        values = {s.slot: frame.slots[s.slot] for s in flow.steps
                  if isinstance(s, CollectStep) and s.profile
                  and frame.slots.get(s.slot) is not None}
        if not values or self.engine.profiles is None:
            return False
        data = await self.profile(turn)
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
            await self.engine.profiles.save(turn.inbound.user_key, consent=True,
                                            values=values)
        return False
