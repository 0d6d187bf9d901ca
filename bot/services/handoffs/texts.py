"""What the resident is told about their handoff, in zh and en (pushed through the outbox).

``BACK_WORDS`` are the words that take a resident back to the bot: the dialogue's
``bot`` command (``bot.dialogue.texts.COMMAND_WORDS``) includes them, and the button the
claim notice carries sends the first word of the resident's language.
"""

from __future__ import annotations

from bot.messages import Option, Reply

BACK_WORDS = {"zh": "返回机器人", "en": "back to bot"}

TEXTS: dict[str, tuple[str, str]] = {
    "claimed": ("工作人员已接入，您现在发送的消息会直接转给工作人员。"
                "发送「返回机器人」可回到自动服务。",
                "A staff member has joined: your messages now go to them. Send \"back to bot\" "
                "to return to the automatic service."),
    "back_button": ("返回机器人", "Back to bot"),
    "staff_says": ("工作人员：{text}", "Staff: {text}"),
    "closed": ("人工服务已结束，机器人继续为您服务。回复「菜单」查看可办理的事项。",
               "The staff member has ended the conversation; the bot is back. Reply \"menu\" "
               "to see what you can do here."),
}


def text(key: str, lang: str, **values: str) -> str:
    zh, en = TEXTS[key]
    chosen = en if lang == "en" else zh
    return chosen.format(**values) if values else chosen


def claimed_notice(lang: str) -> Reply:
    """The claim notice, with a button back to the bot."""
    return Reply(type="options", text=text("claimed", lang),
                 options=(Option(text("back_button", lang), BACK_WORDS.get(lang, "返回机器人")),))
