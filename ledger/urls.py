from django.urls import path

from ledger import views

app_name = "ledger"

urlpatterns = [
    path("accounts/", views.AccountListView.as_view(), name="account_list"),
    path("accounts/<int:pk>/", views.account_statement, name="account_statement"),
    path("vouchers/", views.VoucherListView.as_view(), name="voucher_list"),
    path("vouchers/<str:number>/", views.voucher_detail, name="voucher_detail"),
    path("reports/", views.report_list, name="report_list"),
    path("reports/trial-balance/", views.trial_balance, name="trial_balance"),
    path("fiscal-periods/", views.fiscal_period_list, name="fiscal_period_list"),
    path("fiscal-periods/<int:pk>/status/", views.fiscal_period_status, name="fiscal_period_status"),
    path("audit-log/", views.AuditLogView.as_view(), name="audit_log"),
]
