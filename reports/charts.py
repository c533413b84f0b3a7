"""Server-rendered SVG line charts: no JavaScript, nothing fetched at run time, prints as drawn."""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.utils.html import escape


@dataclass(frozen=True)
class Series:
    name: str
    css_class: str
    points: list[tuple[date, Decimal]]


def _ticks(low: Decimal, high: Decimal, count: int = 4) -> list[Decimal]:
    step = (high - low) / count
    return [low + step * index for index in range(count + 1)]


def line_chart_svg(*, series: list[Series], width: int = 640, height: int = 240, title: str = "") -> str:
    """A chart of dated values, one polyline (with a dot per point) per series, y axis from zero
    or the lowest value. Coordinates are computed here; the browser only draws."""
    points = [point for line in series for point in line.points]
    if not points:
        return ""
    left, right, top, bottom = 56, 12, 12, 28
    first = min(day for day, _ in points)
    last = max(day for day, _ in points)
    low = min(min(value for _, value in points), Decimal("0"))
    high = max(value for _, value in points)
    if high == low:
        high = low + 1
    span_days = max((last - first).days, 1)

    def x(day: date) -> float:
        return left + (width - left - right) * ((day - first).days / span_days if last != first else 0.5)

    def y(value: Decimal) -> float:
        return top + (height - top - bottom) * float((high - value) / (high - low))

    parts = [(f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {width} {height}" '
              f'width="100%" role="img" aria-label="{escape(title)}">')]
    if title:
        parts.append(f"<title>{escape(title)}</title>")
    for tick in _ticks(low, high):
        parts.append(f'<line class="grid" x1="{left}" x2="{width - right}" y1="{y(tick):.1f}" y2="{y(tick):.1f}"/>'
                     f'<text class="axis" x="{left - 6}" y="{y(tick) + 4:.1f}" text-anchor="end">{tick:.2f}</text>')
    parts.append(f'<text class="axis" x="{left}" y="{height - 8}">{first.isoformat()}</text>')
    if last != first:
        parts.append(f'<text class="axis" x="{width - right}" y="{height - 8}" text-anchor="end">{last.isoformat()}</text>')
    for line in series:
        if not line.points:
            continue
        coordinates = " ".join(f"{x(day):.1f},{y(value):.1f}" for day, value in line.points)
        parts.append(f'<g class="series {escape(line.css_class)}" data-series="{escape(line.name)}">'
                     f'<polyline fill="none" points="{coordinates}"/>')
        for day, value in line.points:
            parts.append(f'<circle cx="{x(day):.1f}" cy="{y(value):.1f}" r="3" data-date="{day.isoformat()}" '
                         f'data-value="{value:.2f}"><title>{escape(line.name)} {day.isoformat()}: {value:.2f}</title></circle>')
        parts.append("</g>")
    parts.append("</svg>")
    return "".join(parts)
