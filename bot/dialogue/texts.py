"""The engine's own words, in zh and en. Flows bring their own texts."""

from __future__ import annotations

TEXTS: dict[str, tuple[str, str]] = {
    "empty": ("您发送的内容是空的，请输入文字。", "Your message was empty; please type something."),
    "too_long": ("消息太长了（{n} 个字），一条最多 {max} 个字，请精简后重新发送。",
                 "That message is too long ({n} characters); one message holds at most {max}. "
                 "Please shorten it and send it again."),
    "cancelled": ("已取消「{flow}」。需要时随时再来。", "Cancelled \"{flow}\". Come back any time."),
    "nothing_to_cancel": ("当前没有进行中的事项。", "There is nothing in progress to cancel."),
    "back_first": ("已经是第一个问题了。", "This is already the first question."),
    "restarted": ("好的，从头开始「{flow}」。", "OK, starting \"{flow}\" again."),
    "skip_required": ("这一项必须填写，不能跳过。", "This one is required and cannot be skipped."),
    "skipped": ("已跳过。", "Skipped."),
    "nothing_to_skip": ("现在没有可以跳过的问题。", "There is no question to skip right now."),
    "help_in_flow": (
        "您正在办理「{flow}」，当前问题：{question}\n可用指令：上一步、跳过（选填项）、修改、重新开始、取消、转人工、English",
        "You are in \"{flow}\". Current question: {question}\nCommands: back, skip (optional "
        "fields), change, restart, cancel, human, 中文"),
    "handoff_done": ("已为您转接人工服务（编号 {id}），工作人员会尽快联系您。您也可以继续办理。",
                     "A staff member has been asked to help you (request {id}). They will be "
                     "in touch soon; you can carry on meanwhile."),
    "handoff_waiting": ("您的人工服务请求（编号 {id}）已在处理中，工作人员接入后会直接回复您。",
                        "Your request for a staff member ({id}) is in the queue; they will "
                        "write to you here when they join."),
    "handoff_ended": ("已结束人工服务，回到自动服务。", "The conversation with staff has ended; "
                      "you are back with the bot."),
    "no_handoff": ("您现在就在与机器人对话。需要工作人员时回复「转人工」。",
                   "You are talking to the bot. Reply \"human\" to reach a staff member."),
    "lang_set": ("已切换为中文。", "Switched to English."),
    "failed_thrice": ("好像遇到了困难。回复「帮助」查看说明，回复「转人工」联系工作人员，或回复「取消」退出。",
                      "This seems hard to answer. Reply \"help\" for guidance, \"human\" to reach "
                      "a staff member, or \"cancel\" to stop."),
    "confirm_options": ("回复「确认」提交，或回复序号修改对应项。",
                        "Reply \"confirm\" to submit, or a number to change that answer."),
    "confirm_yes": ("确认", "Confirm"),
    "confirm_change": ("修改", "Change"),
    "pick_field": ("请回复要修改的序号（1-{n}）。", "Reply with the number to change (1-{n})."),
    "pick_field_bad": ("请回复 1 到 {n} 之间的序号。", "Please reply with a number from 1 to {n}."),
    "nothing_to_change": ("还没有可以修改的内容。", "There is nothing to change yet."),
    "resume_offer": ("要继续之前的「{flow}」吗？您的回答已保留。",
                     "Shall we go back to \"{flow}\"? Your answers are kept."),
    "resumed": ("好的，继续「{flow}」。", "OK, back to \"{flow}\"."),
    "dropped": ("好的。", "OK."),
    "idle_offer": ("欢迎回来！上次「{flow}」还没有完成。",
                   "Welcome back! \"{flow}\" was not finished last time."),
    "idle_continue": ("继续填写", "Continue where I left off"),
    "idle_restart": ("重新开始", "Start over"),
    "interrupted": ("已暂停「{flow}」，稍后可以继续。", "\"{flow}\" is paused; you can return to it."),
    "yes": ("是", "Yes"),
    "no": ("否", "No"),
    "reuse_offer": ("使用上次保存的{label}：{value}？", "Use your saved {label}: {value}?"),
    "consent_offer": ("是否保存您的{fields}，下次办理时可直接使用？（仅在您同意时保存，可随时回复「删除资料」清除）",
                      "Shall I remember your {fields} for next time? (Kept only if you agree; "
                      "reply \"forget me\" to erase them any time.)"),
    "consent_saved": ("已保存，下次会先询问您是否使用。", "Saved. Next time I will ask before using it."),
    "consent_declined": ("好的，不保存。", "OK, nothing is kept."),
    "profile_erased": ("您保存的资料已删除。", "Your saved details have been erased."),
    "action_failed": ("系统暂时无法完成这一步，您的回答已保留，请稍后回复任意内容重试。",
                      "That step could not be completed just now. Your answers are kept; "
                      "reply to try again."),
    "retry_hint": ("回复「确认」重试，或回复「取消」退出。", "Reply \"confirm\" to try again, or \"cancel\"."),
    "flow_changed": ("「{flow}」刚刚更新过，您已填写的内容都已保留，我们接着办理。",
                     "\"{flow}\" was just updated. Your answers are kept; let us carry on."),
    "not_offered": ("明白您的需求，但这项服务暂未在这里开通。您可以办理以下事项，或回复「转人工」咨询工作人员。",
                    "I understand what you need, but that service is not offered here yet. "
                    "You can pick one of these, or reply \"human\" to ask a staff member."),
    "flow_gone": ("之前的事项已下线。", "What you were doing is no longer available."),
    "staff_only": ("「{flow}」仅供工作人员使用。如您是工作人员，请联系管理员为您的账号开通权限。",
                   "\"{flow}\" is for staff only. If you are a staff member, ask an "
                   "administrator to give your account access."),
    "unsupported": ("暂时只能处理文字消息，请输入文字。", "I can only read text for now; please type."),
    "location_needed": ("请发送位置，或输入文字回答。", "Please share a location or type your answer."),
    "internal": ("系统开小差了，请稍后再试。", "Something went wrong on our side; please try again."),
    "menu_prompt": ("回复序号或名称开始：", "Reply with a number or a name to start:"),
}

COMMAND_WORDS: dict[str, tuple[str, ...]] = {
    "cancel": ("取消", "退出", "算了", "不办了", "cancel", "quit", "exit", "stop"),
    "back": ("上一步", "返回", "返回上一步", "back", "previous", "go back"),
    "restart": ("重新开始", "重来", "从头开始", "restart", "start over"),
    "help": ("帮助", "怎么办", "怎么用", "help", "?", "？"),
    "skip": ("跳过", "不填", "skip"),
    "handoff": ("转人工", "人工", "人工服务", "人工客服", "human", "agent", "talk to a human"),
    "change": ("修改", "更改", "change", "edit"),
    "menu": ("菜单", "主菜单", "menu", "main menu", "开始", "start"),
    "lang_en": ("english", "英文", "英语", "eng"),
    "lang_zh": ("中文", "chinese", "汉语", "简体中文"),
    "forget": ("删除资料", "forget me", "清除资料"),
    "bot": ("返回机器人", "回到机器人", "结束人工", "back to bot", "return to bot"),
}


def t(key: str, lang: str, **values: object) -> str:
    """The text ``key`` in ``lang``, with ``{placeholders}`` filled."""
    zh, en = TEXTS[key]
    text = zh if lang == "zh" else en
    return text.format(**values) if values else text
