"""The REST API, version 1 (mounted at /api/v1/ by config/urls.py)."""

from django.contrib.auth.decorators import login_not_required
from django.urls import URLPattern, URLResolver, include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from api import items, ledger, pages, runs, transactions

app_name = "api"


def _answering_401(patterns: list) -> list:
    """API views answer anonymous requests themselves (401 with `WWW-Authenticate: Bearer`), so the
    site's LoginRequiredMiddleware must not redirect them to the login page."""
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            _answering_401(pattern.url_patterns)
        elif isinstance(pattern, URLPattern):
            pattern.callback = login_not_required(pattern.callback)
    return patterns


urlpatterns: list = _answering_401([
    path("", include("api.imports")),
    path("", include("api.exports")),
    path("items/", items.ItemsView.as_view(), name="item_list"),
    path("items/<str:number>/", items.ItemDetailView.as_view(), name="item_detail"),
    path("transactions/", transactions.TransactionsView.as_view(), name="transaction_list"),
    path("runs/", runs.RunsView.as_view(), name="run_list"),
    path("runs/reverse/", runs.RunReverseView.as_view(), name="run_reverse"),
    path("runs/<int:pk>/", runs.RunDetailView.as_view(), name="run_detail"),
    path("runs/<int:pk>/pause/", runs.RunPauseView.as_view(), name="run_pause"),
    path("runs/<int:pk>/resume/", runs.RunResumeView.as_view(), name="run_resume"),
    path("runs/<int:pk>/settlements/", runs.RunSettlementsView.as_view(), name="run_settlements"),
    path("runs/<int:pk>/log/", runs.RunLogView.as_view(), name="run_log"),
    path("vouchers/", ledger.VoucherFeedView.as_view(), name="voucher_feed"),
    path("reports/inventory-value/", ledger.InventoryValueView.as_view(), name="report_inventory_value"),
    path("reports/reconciliation/", ledger.ReconciliationView.as_view(), name="report_reconciliation"),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
]) + [
    # Pages for people: a signed-out visitor is sent to the login page like everywhere else.
    path("docs/", SpectacularSwaggerView.as_view(url_name="api:schema"), name="docs"),
    path("tokens/", pages.tokens, name="tokens"),
    path("tokens/<int:pk>/revoke/", pages.token_revoke, name="token_revoke"),
]
