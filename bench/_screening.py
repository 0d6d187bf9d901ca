"""The building screening (``community_screening``) as the HTTP benches drive it.

The flow's steps change (a district and a community were added in front of the
building), so no bench keeps a fixed script: each reply is read, and the answer is found
from the question it asks (:func:`answer_for`).
"""

from __future__ import annotations

START = "楼栋排查"  #: the flow's keyword: starts a screening
DONE = "已登记"  #: in the reply that ends a recorded screening
#: the answer to each question of the screening, by a piece of its prompt (checked in this
#: order against the question's first line)
ANSWERS = {"核对": "确认", "楼栋号": "12号楼", "单元": "跳过", "多少户": "十二", "在家": "30",
           "居家隔离": "0", "外地返回": "1", "备注": "跳过", "哪个区": "江岸区",
           "街道和社区": "花桥街一村社区"}
ECHO_SCRIPT = [START, *ANSWERS.values()]  #: what an echo gets: the same bodies


def joined(texts: list[str]) -> str:
    """The texts of one turn's replies as one text, as WeChat's passive reply joins them."""
    return "\n\n".join(text for text in texts if text)


def question_of(reply: str) -> str | None:
    """The key of :data:`ANSWERS` whose question ``reply`` asks (its replies joined by
    blank lines: the last paragraph whose first line holds a key — a re-prompt's
    complaint or a summary's lines come before or after it), or None."""
    for paragraph in reversed(reply.split("\n\n")):
        first = paragraph.strip().split("\n", 1)[0]
        key = next((key for key in ANSWERS if key in first), None)
        if key is not None:
            return key
    return None


def answer_for(reply: str) -> str | None:
    """The next message after ``reply``: the keyword again once a screening is recorded,
    else the answer to the question it asks; None when it asks none of the screening's."""
    if DONE in reply:
        return START
    key = question_of(reply)
    return None if key is None else ANSWERS[key]
