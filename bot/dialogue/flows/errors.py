"""Load-time flow errors: one class per rule, each naming file, line, flow and step."""

from __future__ import annotations

from bot.errors import TongguanError


class FlowError(TongguanError):
    """A problem in a flow file, worded for the admin who wrote it."""

    rule = "flow"

    def __init__(self, message: str, *, file: str = "", line: int = 0, flow: str = "",
                 step: str = "") -> None:
        self.message = message
        self.file = file
        self.line = line
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


class UnknownSlotTypeError(FlowError):
    rule = "unknown-slot-type"


class BadSlotParamsError(FlowError):
    rule = "bad-slot-params"


class UnknownSlotError(FlowError):
    rule = "unknown-slot"


class BadValueError(FlowError):
    rule = "bad-value"
