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
]
