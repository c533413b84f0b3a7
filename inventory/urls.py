from django.urls import path

from inventory import views, views_import, views_items

app_name = "inventory"

urlpatterns = [
    path("items/", views.ItemListView.as_view(), name="item_list"),
    path("new-item/", views_items.item_new, name="item_new"),
    path("items/<str:number>/", views.ItemDetailView.as_view(), name="item_detail"),
    path("items/<str:number>/edit/", views_items.item_edit, name="item_edit"),
    path("model-groups/", views.ModelGroupListView.as_view(), name="model_group_list"),
    path("transactions/", views.TransactionListView.as_view(), name="transaction_list"),
    path("transactions/<int:pk>/", views.TransactionDetailView.as_view(), name="transaction_detail"),
    path("journals/", views.JournalListView.as_view(), name="journal_list"),
    path("journals/new/", views.journal_new, name="journal_new"),
    path("journals/<str:number>/", views.journal_detail, name="journal_detail"),
    path("journals/<str:number>/lines/<int:line_number>/delete/", views.journal_line_remove, name="journal_line_delete"),
    path("journals/<str:number>/validate/", views.journal_check, name="journal_validate"),
    path("journals/<str:number>/post/", views.journal_post_view, name="journal_post"),
    path("journals/<str:number>/calculate/", views.counting_calculate_view, name="journal_calculate"),
    path("journals/<str:number>/counts/", views.counting_counts_view, name="journal_counts"),
    path("journals/<str:number>/counts/import/", views.counting_import_view, name="journal_counts_import"),
    path("journals/<str:number>/count-sheet/", views.counting_sheet, name="journal_count_sheet"),
    path("journals/<str:number>/save-standard/", views.standard_journal_save_view, name="journal_save_standard"),
    path("standard-journals/", views.StandardJournalListView.as_view(), name="standard_journal_list"),
    path("standard-journals/<int:pk>/recall/", views.standard_journal_recall_view, name="standard_journal_recall"),
    path("standard-journals/<int:pk>/delete/", views.standard_journal_delete_view, name="standard_journal_delete"),
    path("counting-periods/", views.counting_period_list, name="counting_period_list"),
    path("counting-periods/calculate/", views.counting_period_calculate_view, name="counting_period_calculate"),
    path("import/", views_import.import_upload, name="import"),
    path("import/template/<str:kind>.csv", views_import.import_template, name="import_template"),
    path("import/<int:pk>/", views.import_job_detail, name="import_job"),
    path("import/<int:pk>/status.json", views.import_job_status, name="import_job_status"),
    path("import/<int:pk>/errors.csv", views.import_job_errors_csv, name="import_job_errors"),
]
