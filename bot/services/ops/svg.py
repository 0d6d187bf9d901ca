"""Charts drawn on the server as SVG text (for the printable report: no script needed)."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

COLORS = {"green": "#2e7d32", "yellow": "#f9a825", "red": "#c62828", "line": "#1565c0"}


def sparkline(values: Sequence[int], width: int = 120, height: int = 28) -> str:
    """A small trend line, the last point marked."""
    if not values:
        return ""
    top = max(max(values), 1)
    step = width / max(len(values) - 1, 1)
    points = [(i * step, height - 3 - (v / top) * (height - 6)) for i, v in enumerate(values)]
    path = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
    x, y = points[-1]
    return (f'<svg class="spark" width="{width}" height="{height}" viewBox="0 0 {width} '
            f'{height}" role="img" aria-label="trend"><polyline fill="none" '
            f'stroke="{COLORS["line"]}" stroke-width="1.5" points="{path}"/>'
            f'<circle cx="{x:.1f}" cy="{y:.1f}" r="2" fill="{COLORS["line"]}"/></svg>')


def stacked_bars(labels: Sequence[str], series: dict[str, Sequence[int]], width: int = 640,
                 height: int = 220) -> str:
    """Bars per label, stacked by series (``green``/``yellow``/``red``)."""
    n = max(len(labels), 1)
    totals = [sum(s[i] for s in series.values()) for i in range(len(labels))]
    top = max([*totals, 1])
    band, base = (width - 40) / n, height - 30
    parts = [f'<svg width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
             'role="img" aria-label="declarations by district">']
    for i, label in enumerate(labels):
        x, y = 30 + i * band + band * 0.15, float(base)
        for name, values in series.items():
            h = values[i] / top * (base - 20)
            y -= h
            parts.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="{band * 0.7:.1f}" '
                         f'height="{h:.1f}" fill="{COLORS.get(name, "#888")}"/>')
        parts.append(f'<text x="{x + band * 0.35:.1f}" y="{y - 4:.1f}" font-size="11" '
                     f'text-anchor="middle">{totals[i]}</text>')
        parts.append(f'<text x="{x + band * 0.35:.1f}" y="{height - 12}" font-size="11" '
                     f'text-anchor="middle">{escape(label)}</text>')
    parts.append("</svg>")
    return "".join(parts)


def line_chart(days: Sequence[str], series: dict[str, Sequence[int]], width: int = 640,
               height: int = 200) -> str:
    """Lines over the days (labels ``MM-DD``)."""
    top = max([1, *(v for s in series.values() for v in s)])
    step = (width - 50) / max(len(days) - 1, 1)
    parts = [f'<svg width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
             'role="img" aria-label="trend">']
    palette = ["#1565c0", "#f9a825", "#c62828", "#6a1b9a"]
    for j, (name, values) in enumerate(series.items()):
        pts = " ".join(f"{30 + i * step:.1f},{height - 30 - v / top * (height - 50):.1f}"
                       for i, v in enumerate(values))
        color = palette[j % len(palette)]
        parts.append(f'<polyline fill="none" stroke="{color}" stroke-width="2" points="{pts}"/>')
        parts.append(f'<text x="{width - 8}" y="{16 + j * 14}" font-size="11" fill="{color}" '
                     f'text-anchor="end">{escape(name)}</text>')
    for i, day in enumerate(days):
        if i % 2 == 0 or i == len(days) - 1:
            parts.append(f'<text x="{30 + i * step:.1f}" y="{height - 10}" font-size="10" '
                         f'text-anchor="middle">{escape(day[5:])}</text>')
    parts.append(f'<text x="4" y="16" font-size="10">{top}</text></svg>')
    return "".join(parts)
