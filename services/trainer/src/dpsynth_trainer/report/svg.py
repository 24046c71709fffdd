"""Small inline SVG charts for the self-contained report: a line chart and a grouped histogram.

No charting library and no external asset: each function returns one `<svg>` element as a string, with
every label escaped.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from html import escape

WIDTH, HEIGHT = 560, 280
MARGIN = {"left": 56, "right": 16, "top": 28, "bottom": 44}
PALETTE = ("#2563eb", "#f97316", "#16a34a", "#9333ea")


def nice_ticks(low: float, high: float, count: int = 5) -> list[float]:
    """About `count` round tick values covering [low, high] (steps of 1, 2 or 5 times a power of ten)."""
    if not math.isfinite(low) or not math.isfinite(high):
        return [0.0]
    if high <= low:
        high = low + 1.0
    raw = (high - low) / count
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= raw)
    first = math.floor(low / step) * step
    ticks, value = [], first
    while value <= high + step * 1e-9:
        ticks.append(round(value, 12))
        value += step
    if ticks[-1] < high:
        ticks.append(round(value, 12))
    return ticks


def _format(value: float) -> str:
    return f"{value:.4g}"


class _Frame:
    """Maps data coordinates into the plotting area and draws the axes."""

    def __init__(self, x_ticks: Sequence[float], y_ticks: Sequence[float]):
        self.x0, self.x1 = x_ticks[0], x_ticks[-1]
        self.y0, self.y1 = y_ticks[0], y_ticks[-1]
        self.x_ticks, self.y_ticks = x_ticks, y_ticks
        self.left, self.right = MARGIN["left"], WIDTH - MARGIN["right"]
        self.top, self.bottom = MARGIN["top"], HEIGHT - MARGIN["bottom"]

    def x(self, value: float) -> float:
        span = (self.x1 - self.x0) or 1.0
        return self.left + (value - self.x0) / span * (self.right - self.left)

    def y(self, value: float) -> float:
        span = (self.y1 - self.y0) or 1.0
        return self.bottom - (value - self.y0) / span * (self.bottom - self.top)

    def axes(self, x_label: str, y_label: str, *, x_tick_labels: bool = True) -> str:
        parts = [
            f'<line x1="{self.left}" y1="{self.bottom}" x2="{self.right}" y2="{self.bottom}" stroke="#475569"/>',
            f'<line x1="{self.left}" y1="{self.top}" x2="{self.left}" y2="{self.bottom}" stroke="#475569"/>',
        ]
        for tick in self.y_ticks:
            y = self.y(tick)
            parts.append(f'<line x1="{self.left}" y1="{y:.1f}" x2="{self.right}" y2="{y:.1f}" stroke="#e2e8f0"/>')
            parts.append(f'<text x="{self.left - 6}" y="{y + 4:.1f}" text-anchor="end">{_format(tick)}</text>')
        if x_tick_labels:
            for tick in self.x_ticks:
                x = self.x(tick)
                parts.append(f'<text x="{x:.1f}" y="{self.bottom + 16}" text-anchor="middle">{_format(tick)}</text>')
        parts.append(
            f'<text x="{(self.left + self.right) / 2}" y="{HEIGHT - 8}" text-anchor="middle">{escape(x_label)}</text>'
        )
        parts.append(
            f'<text transform="translate(14 {(self.top + self.bottom) / 2}) rotate(-90)" '
            f'text-anchor="middle">{escape(y_label)}</text>'
        )
        return "".join(parts)


def _svg(title: str, body: str) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" width="{WIDTH}" height="{HEIGHT}" '
        f'role="img" aria-label="{escape(title)}" font-family="system-ui, sans-serif" font-size="11" fill="#0f172a">'
        f"<title>{escape(title)}</title>{body}</svg>"
    )


def _empty(title: str, message: str) -> str:
    return _svg(
        title,
        f'<text x="{WIDTH / 2}" y="{HEIGHT / 2}" text-anchor="middle">{escape(message)}</text>',
    )


def line_chart(points: Sequence[tuple[float, float]], *, title: str, x_label: str, y_label: str) -> str:
    """One series of (x, y) points joined in order, with round-number axes and a dot per point."""
    points = [(x, y) for x, y in points if math.isfinite(x) and math.isfinite(y)]
    if not points:
        return _empty(title, "no points recorded")
    xs, ys = [x for x, _ in points], [y for _, y in points]
    frame = _Frame(nice_ticks(min(xs), max(xs)), nice_ticks(min(ys), max(ys)))
    path = " ".join(f"{frame.x(x):.1f},{frame.y(y):.1f}" for x, y in points)
    dots = "".join(
        f'<circle cx="{frame.x(x):.1f}" cy="{frame.y(y):.1f}" r="2.5" fill="{PALETTE[0]}"/>' for x, y in points
    )
    body = (
        frame.axes(x_label, y_label)
        + f'<polyline points="{path}" fill="none" stroke="{PALETTE[0]}" stroke-width="2"/>'
        + dots
    )
    return _svg(title, body)


def histogram_chart(
    edges: Sequence[float],
    series: Mapping[str, Sequence[float]],
    *,
    title: str,
    x_label: str,
    y_label: str,
) -> str:
    """Side-by-side bars per bin for each series, on shared bin edges, with a legend."""
    if len(edges) < 2 or not series:
        return _empty(title, "no data")
    top = max((max(values, default=0) for values in series.values()), default=0)
    frame = _Frame(nice_ticks(edges[0], edges[-1]), nice_ticks(0.0, max(float(top), 1.0)))
    parts = [frame.axes(x_label, y_label)]
    group = len(series)
    for s, (name, values) in enumerate(series.items()):
        color = PALETTE[s % len(PALETTE)]
        for i, value in enumerate(values):
            left, right = frame.x(edges[i]), frame.x(edges[i + 1])
            width = (right - left) / group
            x = left + s * width
            y = frame.y(value)
            parts.append(
                f'<rect x="{x + 0.5:.1f}" y="{y:.1f}" width="{max(width - 1, 0.5):.1f}" '
                f'height="{frame.bottom - y:.1f}" fill="{color}"><title>{escape(name)}: {_format(value)}</title></rect>'
            )
        legend_x = frame.right - 150 + s * 80
        parts.append(f'<rect x="{legend_x}" y="8" width="10" height="10" fill="{color}"/>')
        parts.append(f'<text x="{legend_x + 14}" y="17">{escape(name)}</text>')
    return _svg(title, "".join(parts))
