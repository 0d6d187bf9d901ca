"""A flow drawn as SVG on the server: its steps top to bottom, the way on from each,
branches (labelled with their condition) and gotos as arcs on the right, calls and
links to other flows as boxes on the left. No script, no external asset."""

from __future__ import annotations

from html import escape

from bot.conditions import AllOf, AnyOf, Compare, Condition, Not
from bot.dialogue.flows.model import (
    END,
    ActionStep,
    BranchStep,
    CallStep,
    CollectStep,
    ConfirmStep,
    Flow,
    LinkStep,
    Menu,
    SayStep,
    SetStep,
    Step,
)

BOX_W, BOX_H, GAP, LEFT, TOP = 300, 38, 22, 200, 56
COLOURS = {"collect": "#e3f2fd", "say": "#f1f8e9", "confirm": "#fff8e1", "branch": "#fce4ec",
           "set": "#ede7f6", "action": "#ffe0b2", "call": "#e0f7fa", "link": "#e0f7fa"}


def condition_text(cond: Condition) -> str:
    """A condition as a short line (``temperature ≥ 37.3``)."""
    if isinstance(cond, Compare):
        ops = {"eq": "=", "ne": "≠", "gt": ">", "gte": "≥", "lt": "<", "lte": "≤"}
        return f"{cond.slot} {ops.get(cond.op, cond.op)} {cond.value}"
    if isinstance(cond, Not):
        return f"not ({condition_text(cond.item)})"
    joiner = " and " if isinstance(cond, AllOf) else " or "
    assert isinstance(cond, AllOf | AnyOf)
    return joiner.join(condition_text(c) for c in cond.items)


def _kind(step: Step) -> str:
    return {CollectStep: "collect", SayStep: "say", ConfirmStep: "confirm",
            BranchStep: "branch", SetStep: "set", ActionStep: "action", CallStep: "call",
            LinkStep: "link"}.get(type(step), "step")


def _label(step: Step, lang: str) -> str:
    if isinstance(step, CollectStep):
        return f"ask {step.slot} ({step.type}{', optional' if step.optional else ''})"
    if isinstance(step, SayStep):
        return f"say “{step.text.get(lang)[:28]}”"
    if isinstance(step, ConfirmStep):
        return f"confirm {', '.join(step.slots)[:34]}"
    if isinstance(step, BranchStep):
        return "branch"
    if isinstance(step, SetStep):
        return f"set {', '.join(step.values)[:36]}"
    if isinstance(step, ActionStep):
        return f"action {step.action}"
    if isinstance(step, CallStep):
        return f"call {step.flow}"
    if isinstance(step, LinkStep):
        return f"link → {step.flow}"
    return step.id


def _text(x: float, y: float, text: str, *, size: int = 13, anchor: str = "start",
          weight: str = "normal", fill: str = "#222") -> str:
    return (f'<text x="{x:.0f}" y="{y:.0f}" font-size="{size}" text-anchor="{anchor}" '
            f'font-weight="{weight}" fill="{fill}">{escape(text)}</text>')


def flow_svg(flow: Flow, lang: str = "zh") -> str:
    """The diagram of ``flow``."""
    steps = list(flow.steps)
    y_of = {s.id: TOP + i * (BOX_H + GAP) for i, s in enumerate(steps)}
    end_y = TOP + len(steps) * (BOX_H + GAP)
    y_of[END] = end_y
    parts: list[str] = [_text(12, 24, f"{flow.id} · {flow.title.get(lang)}", size=15,
                              weight="bold")]
    if flow.audience:
        parts.append(_text(12, 42, f"audience: {', '.join(flow.audience)}", size=11,
                           fill="#666"))
    arcs = 0
    right = LEFT + BOX_W
    for i, step in enumerate(steps):
        y = y_of[step.id]
        fill = COLOURS.get(_kind(step), "#eee")
        dashed = ' stroke-dasharray="4 3"' if step.when is not None else ""
        parts.append(f'<g class="step" data-step="{escape(step.id)}" '
                     f'data-line="{step.line}"><rect x="{LEFT}" y="{y}" width="{BOX_W}" '
                     f'height="{BOX_H}" rx="6" fill="{fill}" stroke="#607d8b"{dashed}/>')
        parts.append(_text(LEFT + 8, y + 16, f"{step.id}", size=10, fill="#607d8b"))
        parts.append(_text(LEFT + 8, y + 31, _label(step, lang)) + "</g>")
        if step.when is not None:
            parts.append(_text(LEFT - 8, y + 24, f"when {condition_text(step.when)}"[:40],
                               size=10, anchor="end", fill="#666"))
        falls_through = not isinstance(step, LinkStep) and not (
            isinstance(step, BranchStep) and step.default is not None and step.when is None)
        if falls_through:
            nxt = y_of[steps[i + 1].id] if i + 1 < len(steps) else end_y
            parts.append(_arrow(LEFT + BOX_W / 2, y + BOX_H, LEFT + BOX_W / 2, nxt))
        if isinstance(step, BranchStep):
            targets = [(condition_text(c), g) for c, g in step.cases]
            if step.default is not None:
                targets.append(("otherwise", step.default))
            for label, goto in targets:
                arcs += 1
                x = right + 16 + arcs * 14
                ty = y_of.get(goto, end_y) + BOX_H / 2
                sy = y + BOX_H / 2
                parts.append(f'<path d="M{right} {sy} H{x} V{ty} H{right + 6}" fill="none" '
                             f'stroke="#c2185b" marker-end="url(#arrow)"/>')
                parts.append(_text(x + 4, (sy + ty) / 2, f"{label} → {goto}"[:48], size=10,
                                   fill="#c2185b"))
        if isinstance(step, CallStep | LinkStep):
            parts.append(f'<rect x="12" y="{y + 4}" width="150" height="{BOX_H - 8}" rx="12" '
                         f'fill="#e0f7fa" stroke="#00838f"/>')
            parts.append(_text(87, y + 24, step.flow[:22], size=11, anchor="middle"))
            parts.append(_arrow(LEFT, y + BOX_H / 2, 162, y + BOX_H / 2))
    parts.append(f'<circle cx="{LEFT + BOX_W / 2}" cy="{end_y + 14}" r="12" fill="#37474f"/>')
    parts.append(_text(LEFT + BOX_W / 2, end_y + 18, "end", size=10, anchor="middle",
                       fill="#fff"))
    width = right + 40 + arcs * 14 + 220
    return _svg(width, end_y + 40, parts)


def menu_svg(menu: Menu) -> str:
    """The main menu: its items in order."""
    parts = [_text(12, 24, "menu", size=15, weight="bold")]
    for i, item in enumerate(menu.items):
        y = TOP + i * (BOX_H + GAP / 2)
        parts.append(f'<rect x="12" y="{y}" width="{BOX_W}" height="{BOX_H}" rx="6" '
                     f'fill="#e0f7fa" stroke="#00838f"/>')
        parts.append(_text(24, y + 24, f"{i + 1}. {item}"))
    return _svg(BOX_W + 40, TOP + len(menu.items) * (BOX_H + GAP / 2) + 20, parts)


def _arrow(x1: float, y1: float, x2: float, y2: float) -> str:
    return (f'<line x1="{x1:.0f}" y1="{y1:.0f}" x2="{x2:.0f}" y2="{y2:.0f}" stroke="#607d8b" '
            'marker-end="url(#arrow)"/>')


def _svg(width: float, height: float, parts: list[str]) -> str:
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0f}" '
            f'height="{height:.0f}" viewBox="0 0 {width:.0f} {height:.0f}" '
            'font-family="sans-serif"><defs><marker id="arrow" viewBox="0 0 10 10" refX="9" '
            'refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse">'
            '<path d="M0 0 L10 5 L0 10 z" fill="#607d8b"/></marker></defs>'
            + "".join(parts) + "</svg>")
