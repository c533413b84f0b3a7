import django_tables2 as tables

from closing.models import ClosingRun

NUMERIC = {"td": {"class": "num"}, "th": {"class": "num"}}


class RunTable(tables.Table):
    number = tables.Column(linkify=True, verbose_name="Run")
    date = tables.DateColumn(verbose_name="Date")
    run_type = tables.Column(verbose_name="Type")
    status = tables.TemplateColumn('<span class="status status-{{ record.status }}">{{ record.get_status_display }}</span>')
    voucher = tables.Column(linkify=True)
    progress = tables.TemplateColumn(
        '<div class="progress" title="{{ record.progress_percent }}%"><span style="width: {{ record.progress_percent }}%"></span></div>',
        orderable=False)
    settlements_count = tables.Column(verbose_name="Settlements", attrs=NUMERIC)
    adjustments_count = tables.Column(verbose_name="Adjustments", attrs=NUMERIC)
    warnings_count = tables.Column(verbose_name="Warnings", attrs=NUMERIC)
    has_log = tables.BooleanColumn(verbose_name="Has log", orderable=False)

    class Meta:
        model = ClosingRun
        fields = ("number", "date", "run_type", "status", "voucher", "specification", "started_by", "started_at",
                  "ended_at", "progress", "items_total", "settlements_count", "adjustments_count", "warnings_count", "has_log")
        order_by = ("-number",)
