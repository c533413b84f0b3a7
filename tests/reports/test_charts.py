from datetime import date
from decimal import Decimal

from reports.charts import Series, line_chart_svg

D = Decimal


def test_it_draws_each_series_through_its_points():
    svg = line_chart_svg(title="Cost", width=200, height=100, series=[
        Series("posting", "posting", [(date(2026, 1, 1), D("10.00")), (date(2026, 1, 11), D("20.00"))]),
        Series("settled", "settled", [(date(2026, 1, 6), D("0.00"))]),
    ])

    # x from 56 to 188 over ten days; y from 12 (22.00: 20.00 and a tenth of the spread) to 72 (0.00).
    assert '<polyline fill="none" points="56.0,44.7 188.0,17.5"/>' in svg
    assert '<circle cx="122.0" cy="72.0" r="3" data-date="2026-01-06" data-value="0.00">' in svg
    assert svg.startswith('<svg xmlns="http://www.w3.org/2000/svg"') and svg.endswith("</svg>")


def test_it_draws_nothing_without_points():
    assert line_chart_svg(series=[Series("posting", "posting", [])]) == ""


def test_it_starts_the_axis_near_the_data_not_at_zero():
    svg = line_chart_svg(width=200, height=100, series=[
        Series("posting", "posting", [(date(2026, 1, 1), D("100.00")), (date(2026, 1, 31), D("110.00"))])])

    # 100.00 to 110.00: the axis runs from 99.00 to 111.00.
    assert 'text-anchor="end">99.00</text>' in svg and 'text-anchor="end">111.00</text>' in svg
    assert ">0.00</text>" not in svg


def test_it_draws_the_settled_cost_as_steps_held_to_the_last_date():
    svg = line_chart_svg(width=200, height=100, series=[
        Series("posting", "posting", [(date(2026, 1, 1), D("10.00")), (date(2026, 3, 2), D("14.00"))]),
        Series("settled", "settled", [(date(2026, 1, 31), D("12.00")), (date(2026, 2, 28), D("13.00"))], steps=True)])

    # The axis runs 9.60 to 14.40 over 60 days: Jan 31 at 12.00 (x 122.0, y 42.0) held flat to Feb 28
    # (x 183.6), up to 13.00 (y 29.5), held to Mar 2 (x 188.0), the chart's last date.
    assert '<polyline fill="none" points="122.0,42.0 183.6,42.0 183.6,29.5 188.0,29.5"/>' in svg


def test_it_writes_up_to_six_dates_under_the_axis():
    # 180 days: a label every 36 days.
    svg = line_chart_svg(series=[
        Series("posting", "posting", [(date(2026, 1, 1), D("10.00")), (date(2026, 6, 30), D("12.00"))])])

    dates = [part.split(">")[1] for part in svg.split('<text class="axis date"')[1:]]
    assert [text.split("<")[0] for text in dates] == ["2026-01-01", "2026-02-06", "2026-03-14", "2026-04-19",
                                                      "2026-05-25", "2026-06-30"]
