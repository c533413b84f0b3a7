from django.urls import path

from reports import views

app_name = "reports"

urlpatterns = [
    path("inventory-value/", views.InventoryValueView.as_view(), name="inventory_value"),
    path("inventory-value/transactions/", views.inventory_value_transactions, name="inventory_value_transactions"),
    path("reconciliation/", views.reconciliation, name="reconciliation"),
    path("reconciliation/details/", views.reconciliation_details, name="reconciliation_details"),
    path("close-summary/<int:pk>/", views.close_summary, name="close_summary"),
    path("checks/", views.book_checks, name="book_checks"),
    path("checks/<int:pk>/", views.book_check_detail, name="book_check_detail"),
    path("checks/<int:pk>/status.json", views.book_check_status, name="book_check_status"),
]
