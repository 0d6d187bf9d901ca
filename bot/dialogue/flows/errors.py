"""Load-time flow errors: one class per rule, each naming file, line, flow and step;
and :class:`FileProblems`, which collects them while a file is read."""

from __future__ import annotations

from typing import Any

from bot.dialogue.flows.model import Text
from bot.dialogue.flows.yamlines import key_line, kind_of
from bot.errors import TongguanError


class FlowError(TongguanError):
    """A problem in a flow file, worded for the admin who wrote it."""

    rule = "flow"

    def __init__(self, message: str, *, file: str = "", line: int = 0, flow: str = "",
                 step: str = "", column: int = 0) -> None:
        self.message = message
        self.file = file
        self.line = line
        self.column = column  #: 1-based where known (YAML syntax errors), else 0
        self.flow = flow
        self.step = step
        super().__init__(self.describe())

    def describe(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        parts = [p for p in (f"flow {self.flow}" if self.flow else "",
                             f"step {self.step}" if self.step else "") if p]
        scope = f" ({', '.join(parts)})" if parts else ""
        return f"{where}{scope}: {self.message} [{self.rule}]"


class YamlSyntaxError(FlowError):
    rule = "yaml-syntax"


class MissingFieldError(FlowError):
    rule = "missing-field"


class UnknownStepTypeError(FlowError):
    rule = "unknown-step-type"


class UnreachableStepError(FlowError):
    rule = "unreachable-step"


class MissingTranslationError(FlowError):
    rule = "missing-translation"


class UnknownActionError(FlowError):
    rule = "unknown-action"


class BadConditionError(FlowError):
    rule = "bad-condition"


class DuplicateIdError(FlowError):
    rule = "duplicate-id"


class UnknownTargetError(FlowError):
    rule = "unknown-target"


class CallCycleError(FlowError):
    """A flow that calls itself, directly or through others: it would never end."""

    rule = "call-cycle"


class UnknownSlotTypeError(FlowError):
    rule = "unknown-slot-type"


class BadSlotParamsError(FlowError):
    rule = "bad-slot-params"


class UnknownSlotError(FlowError):
    rule = "unknown-slot"


class BadValueError(FlowError):
    rule = "bad-value"


class CheckFailedError(FlowError):
    """The checks themselves failed on this file (a fault in Tongguan, logged)."""

    rule = "check-failed"


class FileProblems:
    """The problems found in one file so far, and checks of the shapes every part uses.

    ``flow`` labels the problems added from then on.
    """

    def __init__(self, file: str) -> None:
        self.file = file
        self.flow = ""
        self.problems: list[FlowError] = []
        self.unparsed: set[str] = set()  #: ids of steps that could not be built

    def add(self, cls: type[FlowError], message: str, line: int, step: str = "") -> None:
        self.problems.append(cls(message, file=self.file, line=max(line, 1), flow=self.flow,
                                 step=step))

    def text(self, node: Any, what: str, line: int, step: str = "") -> Text | None:
        """A ``{zh, en}`` text, or None when reported; ``line`` is where its key was."""
        if node is None:
            self.add(MissingFieldError, f"'{what}' is required (with zh and en)", line, step)
            return None
        if isinstance(node, str):
            self.add(MissingTranslationError,
                     f"'{what}' must give both zh and en, e.g. {{zh: ..., en: ...}}", line, step)
            return None
        if not isinstance(node, dict):
            self.add(BadValueError, f"'{what}' must be a mapping with zh and en, not "
                     f"{kind_of(node)}", line, step)
            return None
        values = {lang: node.get(lang) for lang in ("zh", "en")}
        missing = [lang for lang, v in values.items() if v is None or str(v).strip() == ""]
        if missing:
            self.add(MissingTranslationError, f"'{what}' has no {' or '.join(missing)} text",
                     line, step)
        wrong = [lang for lang, v in values.items() if lang not in missing
                 and not isinstance(v, str)]
        for lang in wrong:
            self.add(BadValueError, f"'{what}.{lang}' must be text (quote it), not "
                     f"{kind_of(values[lang])}", key_line(node, lang, line), step)
        return None if missing or wrong else Text(node["zh"], node["en"])

    def flag(self, node: dict[Any, Any], key: str, line: int, step: str = "",
             default: bool = False) -> bool:
        """``node[key]`` as true/false (``default`` when absent or reported)."""
        value = node.get(key, default)
        if not isinstance(value, bool):
            self.add(BadValueError, f"'{key}' must be true or false, not {kind_of(value)}",
                     key_line(node, key, line), step)
            return default
        return value
