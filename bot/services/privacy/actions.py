"""The actions of the privacy flows: ``privacy.my_data`` (the summary of what is held
about the asker), ``privacy.deletion_preview`` (what a deletion would remove and keep)
and ``privacy.delete_mine`` (the deletion itself). Both requests are audited."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.actions import ActionContext, ActionRegistry, ActionResult
from bot.messages import Reply
from bot.services.privacy.erase import audit_object, erase_mine
from bot.services.privacy.mine import my_data
from bot.services.privacy.texts import erasure_text, summary_text
from bot.services.staff.audit import audit

if TYPE_CHECKING:
    from bot.hub import Hub


def register_actions(registry: ActionRegistry, hub: Hub) -> None:
    """Register ``privacy.my_data``, ``privacy.deletion_preview``, ``privacy.delete_mine``."""

    async def show_mine(ctx: ActionContext) -> ActionResult:
        data = await my_data(hub, ctx.user_key)
        await audit(hub, actor="resident", action="privacy.view",
                    object=audit_object(hub, ctx.user_key))
        return ActionResult(replies=[Reply.say(summary_text(data, ctx.lang))])

    async def preview(ctx: ActionContext) -> ActionResult:
        erasure = await erase_mine(hub, ctx.user_key, dry_run=True)
        return ActionResult(replies=[Reply.say(erasure_text(erasure, ctx.lang, preview=True))])

    async def delete_mine(ctx: ActionContext) -> ActionResult:
        erasure = await erase_mine(hub, ctx.user_key)
        return ActionResult(replies=[Reply.say(erasure_text(erasure, ctx.lang, preview=False))])

    registry.register("privacy.my_data", show_mine,
                      description="Tell the asker what is held about them (audited).")
    registry.register("privacy.deletion_preview", preview, needs_lock=False,
                      description="Tell the asker what a deletion would remove and keep.")
    registry.register("privacy.delete_mine", delete_mine,
                      description="Delete what is held about the asker and nothing requires "
                                  "(audited); tell them what was kept and why.")
