"""Pre-screen rules: ``filing_rules.yml`` (data) → flags with zh/en reasons for reviewers.

Conditions are the flow condition language (:mod:`bot.conditions`), over the facts of
:meth:`bot.services.filings.validation.FilingInput.facts`. With
``auto_approve_without_flags: true`` a filing no rule flags is approved at once by
``rules``. The version is a hash of the content; a running server reloads the file
(:mod:`.watch`), keeping the last good rules on a broken edit.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from bot.conditions import Condition, ConditionError, evaluate, parse_condition, slots_of
from bot.errors import TongguanError

REPO_ROOT = Path(__file__).resolve().parents[3]
DEFAULT_RULES_FILE = Path("filing_rules.yml")
#: the facts a condition may name (FilingInput.facts)
FACTS = frozenset({"industry", "district", "staff_total", "staff_returning", "staff_risk_14d",
                   "isolation_rooms", "masks_days", "thermometers_days", "disinfectant_days",
                   "capacity_percent", "days_to_start", "origin_provinces", "needs"})
_FLAG_ID = re.compile(r"[a-z][a-z0-9_]{0,39}")


class FilingRulesError(TongguanError):
    """``filing_rules.yml`` is missing or malformed (the message names the entry)."""


@dataclass(frozen=True)
class FlagRule:
    id: str
    when: Condition
    reason: tuple[str, str]  #: (zh, en)


@dataclass(frozen=True)
class FilingRules:
    version: str
    auto_approve_without_flags: bool
    flags: tuple[FlagRule, ...]

    def screen(self, facts: Mapping[str, Any]) -> list[dict[str, str]]:
        """The flags the facts raise: ``[{"id", "zh", "en"}]`` in file order."""
        return [{"id": r.id, "zh": r.reason[0], "en": r.reason[1]}
                for r in self.flags if evaluate(r.when, facts)]


def parse_rules(data: Any, source: str = "filing_rules.yml") -> FilingRules:
    """Build :class:`FilingRules` from parsed YAML.

    Raises:
        FilingRulesError: naming the first bad entry.
    """
    if not isinstance(data, Mapping) or not isinstance(data.get("flags"), list):
        raise FilingRulesError(f"{source}: needs a list of 'flags'")
    auto = data.get("auto_approve_without_flags", False)
    if not isinstance(auto, bool):
        raise FilingRulesError(f"{source}: auto_approve_without_flags must be true or false")
    flags: list[FlagRule] = []
    for i, node in enumerate(data["flags"]):
        where = f"{source}: flags[{i}]"
        if not isinstance(node, Mapping) or not _FLAG_ID.fullmatch(str(node.get("id", ""))):
            raise FilingRulesError(f"{where}: needs an id of lower-case letters, digits, _")
        if node["id"] in {f.id for f in flags}:
            raise FilingRulesError(f"{where}: id {node['id']} is used twice")
        try:
            when = parse_condition(node.get("when"))
        except ConditionError as err:
            raise FilingRulesError(f"{where}: {err}") from err
        unknown = sorted({c.slot for c in slots_of(when)} - FACTS)
        if unknown:
            raise FilingRulesError(f"{where}: unknown fact(s) {', '.join(unknown)}; "
                                   f"known: {', '.join(sorted(FACTS))}")
        reason = node.get("reason")
        if not isinstance(reason, Mapping) or not reason.get("zh") or not reason.get("en"):
            raise FilingRulesError(f"{where}: needs a reason with zh and en")
        flags.append(FlagRule(str(node["id"]), when, (str(reason["zh"]), str(reason["en"]))))
    text = json.dumps(data, ensure_ascii=False, sort_keys=True, default=str)
    return FilingRules(hashlib.sha256(text.encode()).hexdigest()[:12], auto, tuple(flags))


def rules_path(configured: Path = DEFAULT_RULES_FILE) -> Path:
    """Absolute as given; a relative path resolves against the working folder, then the
    repository root."""
    configured = Path(configured).expanduser()
    if configured.is_absolute() or configured.exists():
        return configured
    in_repo = REPO_ROOT / configured
    return in_repo if in_repo.exists() else configured


def load_rules(path: Path = DEFAULT_RULES_FILE) -> FilingRules:
    """Read and check the rules file.

    Raises:
        FilingRulesError: unreadable, not YAML, or a bad entry.
    """
    path = rules_path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as err:
        raise FilingRulesError(f"{path}: cannot read rules ({err})") from err
    return parse_rules(data, str(path))
