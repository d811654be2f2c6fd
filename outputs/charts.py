"""Inline SVG charts for the HTML report: criterion bars, radar, sparkline-style trend lines.

Everything a chart prints is escaped here; callers pass plain text.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from html import escape

BAR_COLOUR = "#1f6feb"
GRID = "#d0d7de"


def _num(x: float) -> str:
    return f"{x:.1f}"


def bars(items: Sequence[tuple[str, float, str]], width: int = 460, label_width: int = 70) -> str:
    """Horizontal bars: (label, score 0..1, caption) per row."""
    row_h, top = 24, 6
    height = top * 2 + row_h * max(len(items), 1)
    span = width - label_width - 110
    parts = [
        f'<svg class="chart bars" role="img" aria-label="criterion scores" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" xmlns="http://www.w3.org/2000/svg">'
    ]
    for i, (label, score, caption) in enumerate(items):
        y = top + i * row_h
        w = max(0.0, min(1.0, score)) * span
        parts.append(
            f'<text x="0" y="{y + 16}" font-size="12">{escape(label)}</text>'
            f'<rect x="{label_width}" y="{y + 4}" width="{span}" height="14" fill="#eef1f4"/>'
            f'<rect class="bar" x="{label_width}" y="{y + 4}" width="{_num(max(w, 1.0))}" height="14" '
            f'fill="{BAR_COLOUR}"><title>{escape(label)}: {score:.3f}</title></rect>'
            f'<text x="{label_width + span + 6}" y="{y + 16}" font-size="12">{escape(caption)}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def radar(items: Sequence[tuple[str, float]], size: int = 300) -> str:
    """A radar (spider) chart of scores 0..1; needs at least three axes, else an empty string."""
    if len(items) < 3:
        return ""
    cx = cy = size / 2
    r = size / 2 - 40
    n = len(items)

    def point(i: int, value: float) -> tuple[float, float]:
        angle = -math.pi / 2 + 2 * math.pi * i / n
        return cx + r * value * math.cos(angle), cy + r * value * math.sin(angle)

    parts = [
        f'<svg class="chart radar" role="img" aria-label="criterion radar" width="{size}" height="{size}" '
        f'viewBox="0 0 {size} {size}" xmlns="http://www.w3.org/2000/svg">'
    ]
    for ring in (0.25, 0.5, 0.75, 1.0):
        pts = " ".join(f"{_num(x)},{_num(y)}" for x, y in (point(i, ring) for i in range(n)))
        parts.append(f'<polygon points="{pts}" fill="none" stroke="{GRID}"/>')
    for i, (label, _) in enumerate(items):
        x, y = point(i, 1.0)
        lx, ly = point(i, 1.18)
        anchor = "middle" if abs(lx - cx) < 5 else ("start" if lx > cx else "end")
        parts.append(
            f'<line x1="{_num(cx)}" y1="{_num(cy)}" x2="{_num(x)}" y2="{_num(y)}" stroke="{GRID}"/>'
            f'<text x="{_num(lx)}" y="{_num(ly + 4)}" font-size="11" text-anchor="{anchor}">{escape(label)}</text>'
        )
    pts = " ".join(f"{_num(x)},{_num(y)}" for x, y in (point(i, max(0.0, min(1.0, v))) for i, (_, v) in
                                                       enumerate(items)))
    parts.append(f'<polygon class="area" points="{pts}" fill="{BAR_COLOUR}" fill-opacity="0.35" '
                 f'stroke="{BAR_COLOUR}" stroke-width="2"/>')
    parts.append("</svg>")
    return "".join(parts)


def trend(points: Sequence[tuple[str, float]], width: int = 460, height: int = 160) -> str:
    """A line of scores 0..1 over runs: (label, score) oldest first; at least two points."""
    if len(points) < 2:
        return ""
    left, right, top, bottom = 36, 12, 10, 28
    w, h = width - left - right, height - top - bottom
    step = w / (len(points) - 1)
    coords = [(left + i * step, top + h * (1 - max(0.0, min(1.0, v)))) for i, (_, v) in enumerate(points)]
    parts = [
        f'<svg class="chart trend" role="img" aria-label="index over runs" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" xmlns="http://www.w3.org/2000/svg">'
    ]
    for tick in (0.0, 0.25, 0.5, 0.75, 1.0):
        y = top + h * (1 - tick)
        parts.append(f'<line x1="{left}" y1="{_num(y)}" x2="{left + w}" y2="{_num(y)}" stroke="{GRID}"/>'
                     f'<text x="2" y="{_num(y + 4)}" font-size="10">{tick:.2f}</text>')
    parts.append('<polyline class="line" fill="none" stroke="' + BAR_COLOUR + '" stroke-width="2" points="'
                 + " ".join(f"{_num(x)},{_num(y)}" for x, y in coords) + '"/>')
    for (x, y), (label, v) in zip(coords, points, strict=True):
        parts.append(f'<circle cx="{_num(x)}" cy="{_num(y)}" r="3.5" fill="{BAR_COLOUR}">'
                     f"<title>{escape(label)}: {v:.3f}</title></circle>")
    parts.append(f'<text x="{left}" y="{height - 6}" font-size="10">{escape(points[0][0])}</text>'
                 f'<text x="{left + w}" y="{height - 6}" font-size="10" text-anchor="end">'
                 f"{escape(points[-1][0])}</text>")
    parts.append("</svg>")
    return "".join(parts)
