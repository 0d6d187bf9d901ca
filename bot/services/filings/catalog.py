"""The fixed value lists of a filing: districts, industries, needs, states.

Districts are the city's district list, the same values the health declaration asks for
(``flows/health_declaration.yml``; a test keeps the two equal).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Choice:
    value: str
    zh: str
    en: str

    def to_option(self) -> dict[str, str]:
        return {"value": self.value, "zh": self.zh, "en": self.en}


DISTRICTS: tuple[Choice, ...] = (
    Choice("jiangan", "江岸区", "Jiang'an"),
    Choice("jianghan", "江汉区", "Jianghan"),
    Choice("qiaokou", "硚口区", "Qiaokou"),
    Choice("hanyang", "汉阳区", "Hanyang"),
    Choice("wuchang", "武昌区", "Wuchang"),
    Choice("hongshan", "洪山区", "Hongshan"),
    Choice("other", "其他区", "Another district"),
)

INDUSTRIES: tuple[Choice, ...] = (
    Choice("manufacturing", "制造业", "Manufacturing"),
    Choice("retail", "零售", "Retail"),
    Choice("catering", "餐饮", "Catering"),
    Choice("construction", "建筑施工", "Construction"),
    Choice("logistics", "物流运输", "Logistics"),
    Choice("services", "服务业", "Services"),
    Choice("other", "其他行业", "Other"),
)

NEEDS: tuple[Choice, ...] = (
    Choice("raw_materials", "原材料供应", "Raw materials"),
    Choice("logistics", "物流运输", "Logistics"),
    Choice("financing", "融资支持", "Financing"),
    Choice("hiring", "招工用工", "Hiring"),
)

#: states and their names; ``submitted`` and ``returned`` are *open* (one per USCC)
STATES: dict[str, tuple[str, str]] = {
    "submitted": ("待审核", "submitted, awaiting review"),
    "approved": ("已批准", "approved"),
    "rejected": ("未通过", "rejected"),
    "returned": ("已退回修改", "returned for changes"),
    "withdrawn": ("已撤回", "withdrawn"),
}
OPEN_STATES = frozenset({"submitted", "returned"})
DECISIONS = {"approve": "approved", "reject": "rejected", "return": "returned"}


def values(choices: tuple[Choice, ...]) -> frozenset[str]:
    return frozenset(c.value for c in choices)


def label(choices: tuple[Choice, ...], value: str, lang: str) -> str:
    """The choice's name in ``lang`` (the value itself when unknown)."""
    for c in choices:
        if c.value == value:
            return c.zh if lang == "zh" else c.en
    return value
