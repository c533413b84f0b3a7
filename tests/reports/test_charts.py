from datetime import date
from decimal import Decimal

from reports.charts import Series, line_chart_svg

D = Decimal


def test_it_draws_each_series_through_its_points():
    svg = line_chart_svg(title="Cost", width=200, height=100, series=[
        Series("posting", "posting", [(date(2026, 1, 1), D("10.00")), (date(2026, 1, 11), D("20.00"))]),
        Series("settled", "settled", [(date(2026, 1, 6), D("0.00"))]),
    ])

    # x from 56 to 188 over ten days, y from 12 (20.00) to 72 (0.00).
    assert '<polyline fill="none" points="56.0,42.0 188.0,12.0"/>' in svg
    assert '<circle cx="122.0" cy="72.0" r="3" data-date="2026-01-06" data-value="0.00">' in svg
    assert svg.startswith('<svg xmlns="http://www.w3.org/2000/svg"') and svg.endswith("</svg>")


def test_it_draws_nothing_without_points():
    assert line_chart_svg(series=[Series("posting", "posting", [])]) == ""
