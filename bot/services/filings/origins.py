"""Staff origins typed in chat: ``湖北武汉 12, 河南信阳 3`` or ``Hubei Wuhan 12; Henan
Xinyang 3`` → ``[{"province", "city", "count"}]``, with a clear error naming the entry.

Entries are separated by commas, semicolons, 、 or new lines; each is a place and a
count (``12``, ``12人``). A place with a space is "province city"; without one, a
leading province name (北京 … 新疆, with or without 省/市/自治区) is split off.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from bot.errors import ActionError

PROVINCES = ("北京", "天津", "河北", "山西", "内蒙古", "辽宁", "吉林", "黑龙江", "上海", "江苏",
             "浙江", "安徽", "福建", "江西", "山东", "河南", "湖北", "湖南", "广东", "广西",
             "海南", "重庆", "四川", "贵州", "云南", "西藏", "陕西", "甘肃", "青海", "宁夏",
             "新疆", "台湾", "香港", "澳门")
_SUFFIX = ("维吾尔自治区", "壮族自治区", "回族自治区", "特别行政区", "自治区", "省", "市")
_SPLIT = re.compile(r"[,，;；、\n]+")
_ENTRY = re.compile(r"^(?P<place>.+?)\s*(?P<count>\d+)\s*(人|名|people|persons?)?$",
                    re.IGNORECASE)
NONE_WORDS = frozenset({"无", "没有", "none", "no", "0"})


def _bad(entry: str) -> ActionError:
    return ActionError(
        f"没看懂「{entry}」。请按「省份城市 人数」填写，多个用逗号分开，"
        "如：湖北武汉 12, 河南信阳 3",
        f"Could not read \"{entry}\". Write \"province city count\", separated by commas, "
        "e.g. Hubei Wuhan 12, Henan Xinyang 3", code="bad_origins")


def _place(text: str) -> tuple[str, str] | None:
    if " " in text:
        province, _, city = text.partition(" ")
        return province.strip(), city.strip()
    for name in sorted(PROVINCES, key=len, reverse=True):
        if text.startswith(name):
            rest = text[len(name):]
            for suffix in _SUFFIX:
                if rest.startswith(suffix):
                    rest = rest[len(suffix):]
                    break
            return name, rest.strip() or name  # 北京 12: the city is the province
    return None


def parse_origins(text: str) -> list[dict[str, Any]]:
    """The origins in ``text`` (empty for 无 / none).

    Raises:
        ActionError: an entry that is no "place count" (named in the message).
    """
    text = unicodedata.normalize("NFKC", text or "")
    if text.strip().lower() in NONE_WORDS:
        return []
    out: list[dict[str, Any]] = []
    for raw in _SPLIT.split(text):
        entry = " ".join(raw.split())
        if not entry:
            continue
        match = _ENTRY.match(entry)
        place = _place(match["place"].strip()) if match else None
        if match is None or place is None or not place[1] or int(match["count"]) < 1:
            raise _bad(entry)
        out.append({"province": place[0], "city": place[1], "count": int(match["count"])})
    if not out:
        raise _bad(text.strip())
    return out


def format_origins(origins: list[dict[str, Any]]) -> str:
    """Origins as the chat question takes them (prefilling from the last filing)."""
    return ", ".join(f"{o['province']} {o['city']} {o['count']}" for o in origins) or "无"
