"""Actions of the WeChat channel a flow can use: ``wechat.location_consent``.

WeChat reports a follower's location (``LOCATION`` events) when the account asks for it
and the follower agrees in WeChat; Tongguan keeps the last report only once the
follower also said yes here (see ``docs/wechat.md``). Registered by the ``wechat``
feature (``bot/features.py``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.actions import ActionContext, ActionRegistry, ActionResult
from bot.channels.wechat import users
from bot.errors import ActionError

if TYPE_CHECKING:
    from bot.hub import Hub


def register_actions(registry: ActionRegistry, hub: Hub) -> None:
    """Register ``wechat.location_consent``.

    Step params: ``slot`` (the ``yes_no`` slot holding the answer, default ``consent``).
    Sets slot ``location_consent`` (true/false, what is now stored). Saying no also
    forgets the last kept location.
    """

    async def location_consent(ctx: ActionContext) -> ActionResult:
        if ctx.channel != "wechat":
            raise ActionError("位置授权只适用于微信公众号。",
                              "Location sharing only applies to the WeChat account.",
                              code="not_wechat")
        answer = ctx.slots.get(str(ctx.params.get("slot", "consent")))
        if not isinstance(answer, bool):
            raise ActionError("请先回答是否同意。", "Please answer yes or no first.",
                              code="no_answer")
        await users.set_location_consent(hub.db, hub.clock, ctx.user_id, answer)
        return ActionResult(slots={"location_consent": answer})

    registry.register("wechat.location_consent", location_consent,
                      description="Turn keeping WeChat location reports on or off "
                                  "(params: slot, a yes_no answer).",
                      sets={"location_consent"})
