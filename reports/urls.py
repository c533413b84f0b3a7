from django.urls import path

from reports import views, views_stock

app_name = "reports"

urlpatterns = [
    path("inventory-value/", views.InventoryValueView.as_view(), name="inventory_value"),
    path("inventory-value/transactions/", views.inventory_value_transactions, name="inventory_value_transactions"),
    path("reconciliation/", views.reconciliation, name="reconciliation"),
    path("reconciliation/details/", views.reconciliation_details, name="reconciliation_details"),
    path("close-summary/<int:pk>/", views.close_summary, name="close_summary"),
    path("close-summary/<int:pk>/sign-off/", views.close_sign_off, name="close_sign_off"),
    path("ageing/", views_stock.ageing, name="ageing"),
    path("open-layers/", views_stock.open_layers, name="open_layers"),
    path("negative-inventory/", views_stock.negative_inventory, name="negative_inventory"),
    path("cost-of-goods-sold/", views_stock.cogs, name="cogs"),
    path("cost-of-goods-sold/transactions/", views_stock.cogs_transactions, name="cogs_transactions"),
    path("checks/", views.book_checks, name="book_checks"),
    path("checks/<int:pk>/", views.book_check_detail, name="book_check_detail"),
    path("checks/<int:pk>/status.json", views.book_check_status, name="book_check_status"),
    path("exports/new/", views.export_start, name="export_start"),
    path("exports/<int:pk>/", views.export_job_detail, name="export_job_detail"),
    path("exports/<int:pk>/status.json", views.export_job_status, name="export_job_status"),
    path("exports/<int:pk>/download/", views.export_job_download, name="export_job_download"),
]
