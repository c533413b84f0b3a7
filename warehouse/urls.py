from django.urls import path

from warehouse import views

app_name = "warehouse"

urlpatterns = [
    path("bins/", views.bin_list, name="bin_list"),
    path("bins/add/", views.bin_add, name="bin_add"),
    path("bins/import/", views.bins_import, name="bins_import"),
    path("bins/mandatory/", views.bins_mandatory, name="bins_mandatory"),
    path("default-bins/", views.default_bins, name="default_bins"),
    path("default-bins/change/", views.default_bin_change, name="default_bin_change"),
    path("bin-content/change/", views.bin_content_change, name="bin_content_change"),
    path("contents/", views.bin_contents, name="bin_contents"),
    path("entries/", views.entry_list, name="entry_list"),
    path("comparison/", views.comparison, name="comparison"),
    path("journals/", views.journal_list, name="journal_list"),
    path("journals/new/", views.journal_new, name="journal_new"),
    path("journals/import/", views.journal_import, name="journal_import"),
    path("journals/<str:number>/", views.journal_detail, name="journal_detail"),
    path("journals/<str:number>/lines/", views.journal_line_add, name="journal_line_add"),
    path("journals/<str:number>/lines/<int:line>/delete/", views.journal_line_delete, name="journal_line_delete"),
    path("journals/<str:number>/calculate/", views.journal_calculate, name="journal_calculate"),
    path("journals/<str:number>/counts/", views.journal_counts, name="journal_counts"),
    path("journals/<str:number>/register/", views.journal_register, name="journal_register"),
    path("adjustment/", views.adjustment, name="adjustment"),
    path("adjustment/calculate/", views.adjustment_calculate, name="adjustment_calculate"),
    path("adjustment/<str:number>/post/", views.adjustment_post, name="adjustment_post"),
]
