"""Replies → WeChat: one passive message, the rest pushed; XML via wechatpy.replies."""

from __future__ import annotations

from wechatpy.replies import ImageReply, TextReply

from bot.channels.wechat.dedupe import Passive
from bot.messages import Reply


def cdata_safe(text: str) -> str:
    """Text that cannot close the CDATA section wechatpy wraps it in."""
    return text.replace("]]>", "]]]]><![CDATA[>")


def joined_text(replies: list[Reply]) -> str:
    """All non-image replies as one text (options as numbered lines)."""
    parts = [r.as_plain_text() for r in replies if r.type != "image"]
    return "\n\n".join(p for p in parts if p)


def split(replies: list[Reply]) -> tuple[str, list[Reply]]:
    """(text for the passive reply, replies to push): WeChat allows one passive message."""
    return joined_text(replies), [r for r in replies if r.type == "image"]


def for_push(replies: list[Reply]) -> list[Reply]:
    """Replies to queue for a late turn: the texts joined into one message, then images."""
    text = joined_text(replies)
    head = [Reply.say(text)] if text else []
    return head + [r for r in replies if r.type == "image"]


def passive_xml(passive: Passive, *, openid: str, account: str) -> str:
    """The plain passive reply XML to ``openid`` from the account ``account``."""
    if passive.kind == "image":
        reply = ImageReply(source=account, target=openid, time=passive.create_time,
                           media_id=passive.content)
    else:
        reply = TextReply(source=account, target=openid, time=passive.create_time,
                          content=cdata_safe(passive.content))
    return reply.render()
