"""Report pieces other apps' pages include without their views knowing about them."""

from django import template

register = template.Library()


@register.inclusion_tag("reports/_cost_history_chart.html")
def cost_history(item) -> dict:
    from reports.views import cost_history_context

    return {"item": item, **cost_history_context(item=item)}


@register.inclusion_tag("reports/_checks_badge.html")
def checks_badge(run) -> dict:
    return {"checks": run.checks or {}, "run": run}
