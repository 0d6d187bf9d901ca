"""Risk rules: ``risk_rules.yml`` (data) → a colour with reasons in zh and en.

The rules' version is derived from their content (:func:`content_version`), never
written by hand; a running server reloads an edited file (:mod:`.watch`).

Conditions are the flow condition language (:mod:`bot.conditions`), so
an admin who writes flows can write rules; nothing is evaluated as Python.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from bot.conditions import Condition, ConditionError, evaluate, parse_condition
from bot.errors import TongguanError

log = logging.getLogger("tongguan.declarations")

REPO_ROOT = Path(__file__).resolve().parents[3]
DEFAULT_RULES_FILE = Path("risk_rules.yml")
COLORS = ("green", "yellow", "red")  #: in order of severity


class RulesError(TongguanError):
    """``risk_rules.yml`` is missing or malformed (message names the entry)."""


@dataclass(frozen=True)
class Rule:
    id: str
    color: str
    when: Condition
    reason: tuple[str, str]  #: (zh, en)


@dataclass(frozen=True)
class Area:
    value: str
    zh: str
    en: str
    color: str


@dataclass(frozen=True)
class Assessment:
    """The outcome of the rules for one declaration."""

    color: str
    reasons: tuple[dict[str, str], ...]  #: [{"zh", "en"}], empty when green
    version: str


@dataclass(frozen=True)
class RiskRules:
    version: str
    status_hours: int
    areas: tuple[Area, ...]
    rules: tuple[Rule, ...]

    def assess(self, answers: Mapping[str, Any]) -> Assessment:
        """The worst colour of every matching rule, with their reasons."""
        color, reasons = "green", []
        for rule in self.rules:
            if evaluate(rule.when, answers):
                color = worst(color, rule.color)
                reasons.append({"zh": rule.reason[0], "en": rule.reason[1]})
        travel = answers.get("travel") or []
        for area in self.areas:
            if area.value in travel:
                color = worst(color, area.color)
                reasons.append({"zh": f"14天内到过{area.zh}",
                                "en": f"Was in {area.en} within the last 14 days"})
        return Assessment(color, tuple(reasons), self.version)

    def travel_options(self) -> list[dict[str, str]]:
        """Options of the travel question: the listed areas, then other / none."""
        return [*({"value": a.value, "zh": a.zh, "en": a.en} for a in self.areas),
                {"value": "other", "zh": "其他地区（未列出）", "en": "Elsewhere (not listed)"},
                {"value": "none", "zh": "没有离开本市", "en": "Did not leave the city"}]


def worst(a: str, b: str) -> str:
    return a if COLORS.index(a) >= COLORS.index(b) else b


def _text(node: Any, where: str) -> tuple[str, str]:
    if not isinstance(node, Mapping) or not node.get("zh") or not node.get("en"):
        raise RulesError(f"{where}: needs a reason with zh and en")
    return str(node["zh"]), str(node["en"])


def content_version(data: Mapping[str, Any]) -> str:
    """The rules' version: a hash of what they say (comments and layout do not count)."""
    body = {k: v for k, v in data.items() if k != "version"}
    text = json.dumps(body, ensure_ascii=False, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def parse_rules(data: Any, source: str = "risk_rules.yml") -> RiskRules:
    """Build :class:`RiskRules` from parsed YAML; the version is :func:`content_version`.

    Raises:
        RulesError: naming the first bad entry.
    """
    if not isinstance(data, Mapping) or not isinstance(data.get("rules"), list):
        raise RulesError(f"{source}: needs a list of 'rules'")
    if "version" in data:
        log.warning("declarations.rules.version_ignored file=%s: the rules' version is the "
                    "hash of their content; remove the hand-written 'version'", source)
    rules, areas = [], []
    for i, node in enumerate(data.get("rules") or []):
        where = f"{source}: rules[{i}]"
        if not isinstance(node, Mapping) or node.get("color") not in COLORS:
            raise RulesError(f"{where}: color must be one of {', '.join(COLORS)}")
        try:
            when = parse_condition(node.get("when"))
        except ConditionError as err:
            raise RulesError(f"{where}: {err}") from err
        rules.append(Rule(str(node.get("id", i)), node["color"], when,
                          _text(node.get("reason"), where)))
    for i, node in enumerate(data.get("areas") or []):
        where = f"{source}: areas[{i}]"
        if not isinstance(node, Mapping) or not node.get("value") \
                or node.get("color", "yellow") not in COLORS:
            raise RulesError(f"{where}: needs value, zh, en and a colour")
        zh, en = _text(node, where)
        areas.append(Area(str(node["value"]), zh, en, node.get("color", "yellow")))
    hours = data.get("status_hours", 24)
    if not isinstance(hours, int) or not 1 <= hours <= 24 * 7:
        raise RulesError(f"{source}: status_hours must be 1-168")
    return RiskRules(content_version(data), hours, tuple(areas), tuple(rules))


def rules_path(configured: Path = DEFAULT_RULES_FILE) -> Path:
    """Where ``settings.risk_rules_file`` points: absolute as given; a relative path
    resolves against the working folder, then the repository root."""
    configured = Path(configured).expanduser()
    if configured.is_absolute() or configured.exists():
        return configured
    in_repo = REPO_ROOT / configured
    return in_repo if in_repo.exists() else configured


def load_rules(path: Path = DEFAULT_RULES_FILE) -> RiskRules:
    """Read and check the rules file (``path`` as in ``settings.risk_rules_file``).

    Raises:
        RulesError: unreadable, not YAML, or a bad entry.
    """
    path = rules_path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as err:
        raise RulesError(f"{path}: cannot read rules ({err})") from err
    return parse_rules(data, str(path))
