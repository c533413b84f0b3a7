from django.urls import path

from inventory import views

app_name = "inventory"

urlpatterns = [
    path("items/", views.ItemListView.as_view(), name="item_list"),
    path("items/<str:number>/", views.ItemDetailView.as_view(), name="item_detail"),
    path("model-groups/", views.ModelGroupListView.as_view(), name="model_group_list"),
    path("transactions/", views.TransactionListView.as_view(), name="transaction_list"),
    path("transactions/<int:pk>/", views.TransactionDetailView.as_view(), name="transaction_detail"),
    path("journals/", views.JournalListView.as_view(), name="journal_list"),
    path("journals/new/", views.journal_new, name="journal_new"),
    path("journals/<str:number>/", views.journal_detail, name="journal_detail"),
    path("journals/<str:number>/lines/<int:line_number>/delete/", views.journal_line_remove, name="journal_line_delete"),
    path("journals/<str:number>/validate/", views.journal_check, name="journal_validate"),
    path("journals/<str:number>/post/", views.journal_post_view, name="journal_post"),
    path("import/", views.import_upload, name="import"),
]
