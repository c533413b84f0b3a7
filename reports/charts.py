"""Server-rendered SVG line charts: no JavaScript, nothing fetched at run time, prints as drawn."""

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.utils.html import escape


@dataclass(frozen=True)
class Series:
    name: str
    css_class: str
    points: list[tuple[date, Decimal]]
    # A value that holds until the next one (the settled cost of a close, until the next close):
    # drawn as steps, flat to the next point's date, and on to the chart's last date.
    steps: bool = False


# Dates written under the x axis at most: the first, the last and evenly spaced ones between.
DATE_LABELS = 6


def _value_range(values: list[Decimal]) -> tuple[Decimal, Decimal]:
    """The y axis from a little below the lowest value to a little above the highest (a tenth of
    the spread each side), so that a cost moving between 98 and 104 fills the chart instead of
    hugging its top; never below zero when no value is."""
    low, high = min(values), max(values)
    pad = (high - low) / 10 if high != low else (abs(high) / 20 or Decimal("1"))
    bottom = low - pad
    if low >= 0 > bottom:
        bottom = Decimal("0")
    return bottom, high + pad


def _date_labels(first: date, last: date) -> list[date]:
    span = (last - first).days
    if span <= 0:
        return [first]
    count = min(DATE_LABELS, span + 1)
    days = sorted({round(span * index / (count - 1)) for index in range(count)})
    return [first + timedelta(days=day) for day in days]


def _ticks(low: Decimal, high: Decimal, count: int = 4) -> list[Decimal]:
    step = (high - low) / count
    return [low + step * index for index in range(count + 1)]


def line_chart_svg(*, series: list[Series], width: int = 640, height: int = 240, title: str = "") -> str:
    """A chart of dated values, one line (with a dot per point) per series, the y axis from just
    below the lowest value to just above the highest (_value_range), up to DATE_LABELS dates under
    it. Coordinates are computed here; the browser only draws."""
    points = [point for line in series for point in line.points]
    if not points:
        return ""
    left, right, top, bottom = 56, 12, 12, 28
    first = min(day for day, _ in points)
    last = max(day for day, _ in points)
    low, high = _value_range([value for _, value in points])
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
    labels = _date_labels(first, last)
    for index, day in enumerate(labels):
        anchor = "start" if index == 0 else "end" if index == len(labels) - 1 else "middle"
        at = left if len(labels) == 1 else x(day)
        parts.append(f'<text class="axis date" x="{at:.1f}" y="{height - 8}" text-anchor="{anchor}">{day.isoformat()}</text>')
    for line in series:
        if not line.points:
            continue
        drawn = _step_points(line.points, last) if line.steps else line.points
        coordinates = " ".join(f"{x(day):.1f},{y(value):.1f}" for day, value in drawn)
        parts.append(f'<g class="series {escape(line.css_class)}" data-series="{escape(line.name)}">'
                     f'<polyline fill="none" points="{coordinates}"/>')
        for day, value in line.points:
            parts.append(f'<circle cx="{x(day):.1f}" cy="{y(value):.1f}" r="3" data-date="{day.isoformat()}" '
                         f'data-value="{value:.2f}"><title>{escape(line.name)} {day.isoformat()}: {value:.2f}</title></circle>')
        parts.append("</g>")
    parts.append("</svg>")
    return "".join(parts)


def _step_points(points: list[tuple[date, Decimal]], last: date) -> list[tuple[date, Decimal]]:
    """Each value held flat until the next point's date, where the line rises or falls to it."""
    drawn = []
    for index, (day, value) in enumerate(points):
        if index:
            drawn.append((day, points[index - 1][1]))
        drawn.append((day, value))
    if points[-1][0] < last:
        drawn.append((last, points[-1][1]))
    return drawn
