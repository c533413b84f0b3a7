from django.urls import path

from closing import views, views_revaluation

app_name = "closing"

urlpatterns = [
    path("", views.RunListView.as_view(), name="run_list"),
    path("check/open-quantities/", views.open_quantities, name="open_quantities"),
    path("check/cost-prices/", views.cost_prices, name="cost_prices"),
    path("close/", views.close_dialog, name="close"),
    path("close/items.json", views.run_item_count, name="run_item_count"),
    path("recalculate/", views.recalculation_dialog, name="recalculate"),
    path("reverse/", views.reverse_dialog, name="reverse"),
    path("adjust/on-hand/", views.on_hand_adjustment, name="adjust_on_hand"),
    path("adjust/transactions/", views.transaction_adjustment, name="adjust_transactions"),
    path("parameters/", views.parameters, name="parameters"),
    path("revalue/<str:number>/", views_revaluation.revalue_standard_cost, name="revalue_standard_cost"),
    path("runs/<int:pk>/", views.run_detail, name="run_detail"),
    path("runs/<int:pk>/status.json", views.run_status, name="run_status"),
    path("runs/<int:pk>/log/", views.RunLogView.as_view(), name="run_log"),
    path("runs/<int:pk>/settlements/", views.run_settlements, name="run_settlements"),
    path("runs/<int:pk>/voucher/", views.run_voucher, name="run_voucher"),
    path("runs/<int:pk>/pause/", views.run_pause, name="run_pause"),
    path("runs/<int:pk>/resume/", views.run_resume, name="run_resume"),
]
