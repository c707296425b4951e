"""Charts drawn on the server as inline SVG: no script, no CDN, nothing to build.

Drawn for a phone (a 360-unit wide view box, scaled to the page's width by CSS), with
colours and type from analytics.css through classes (the pages' CSP allows no inline
style). Every text is escaped; every chart carries a title for screen readers, and the
pages show the same numbers in a table next to it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from markupsafe import Markup, escape

WIDTH = 360
LEFT, RIGHT, TOP, BOTTOM = 34, 10, 12, 26


@dataclass(frozen=True)
class Series:
    label: str
    values: Sequence[int]
    css: str  # "s1", "s2", … : the colour, from analytics.css


def nice_ceiling(value: int) -> int:
    """The smallest of 1, 2, 5 × 10ⁿ at or above ``value`` (at least 1)."""
    if value <= 1:
        return 1
    step = 1
    while True:
        for m in (1, 2, 5):
            if m * step >= value:
                return m * step
        step *= 10


def _ticks(top: int) -> list[int]:
    if top <= 4:
        return list(range(top + 1))
    return [0, top // 2, top] if top % 2 == 0 else [0, top]


def _num(x: float) -> str:
    return f"{x:.1f}".rstrip("0").rstrip(".")


def line_chart(
    title: str, days: Sequence[date], series: Sequence[Series], *, height: int = 180
) -> Markup:
    """One line per series over the days, a shared y axis from 0; a dot per day (with its
    value as a tooltip) when there are at most 62 days."""
    top = nice_ceiling(max((max(s.values, default=0) for s in series), default=0))
    plot_w, plot_h = WIDTH - LEFT - RIGHT, height - TOP - BOTTOM
    n = len(days)

    def x(i: int) -> float:
        return LEFT + (plot_w / 2 if n == 1 else plot_w * i / (n - 1))

    def y(v: int) -> float:
        return TOP + plot_h - plot_h * v / top

    parts = [
        f'<svg class="chart line-chart" viewBox="0 0 {WIDTH} {height}" role="img" '
        f'aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg">',
        f"<title>{escape(title)}</title>",
    ]
    for tick in _ticks(top):
        ty = _num(y(tick))
        parts.append(f'<line class="grid" x1="{LEFT}" y1="{ty}" x2="{WIDTH - RIGHT}" y2="{ty}"/>')
        parts.append(f'<text class="axis" x="{LEFT - 4}" y="{ty}" dy="0.32em" '
                     f'text-anchor="end">{tick}</text>')  # fmt: skip
    for i in sorted({0, n // 2, n - 1}) if n else []:
        anchor = "start" if i == 0 and n > 1 else "end" if i == n - 1 and n > 1 else "middle"
        parts.append(f'<text class="axis" x="{_num(x(i))}" y="{height - 8}" '
                     f'text-anchor="{anchor}">{days[i].strftime("%m-%d")}</text>')  # fmt: skip
    for s in series:
        points = " ".join(f"{_num(x(i))},{_num(y(v))}" for i, v in enumerate(s.values))
        parts.append(f'<polyline class="line {s.css}" points="{points}"/>')
        if n <= 62:
            for i, v in enumerate(s.values):
                tip = escape(f"{days[i].isoformat()} · {s.label}: {v}")
                parts.append(f'<circle class="dot {s.css}" cx="{_num(x(i))}" cy="{_num(y(v))}" '
                             f'r="2.5"><title>{tip}</title></circle>')  # fmt: skip
    parts.append("</svg>")
    return Markup("".join(parts))


@dataclass(frozen=True)
class Bar:
    label: str
    value: int
    note: str = ""  # drawn after the value, e.g. "3 orders"


def bar_chart(title: str, bars: Sequence[Bar], *, css: str = "s1") -> Markup:
    """Horizontal bars, one row each: the label above its bar, the value after it."""
    row, bar_h = 34, 12
    height = max(row * len(bars), row) + 6
    top = nice_ceiling(max((b.value for b in bars), default=0))
    room = WIDTH - 12 - 110  # the bar's longest length leaves room for the numbers
    parts = [
        f'<svg class="chart bar-chart" viewBox="0 0 {WIDTH} {height}" role="img" '
        f'aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg">',
        f"<title>{escape(title)}</title>",
    ]
    for i, b in enumerate(bars):
        y0 = 4 + i * row
        length = max(room * b.value / top, 1.5 if b.value else 0)
        parts.append(f'<text class="bar-label" x="4" y="{y0 + 10}">{escape(b.label)}</text>')
        parts.append(f'<rect class="bar {css}" x="4" y="{y0 + 15}" width="{_num(length)}" '
                     f'height="{bar_h}" rx="2"/>')  # fmt: skip
        value = escape(f"{b.value}" + (f" · {b.note}" if b.note else ""))
        parts.append(f'<text class="bar-value" x="{_num(8 + length + 2)}" '
                     f'y="{y0 + 25}">{value}</text>')  # fmt: skip
    parts.append("</svg>")
    return Markup("".join(parts))
