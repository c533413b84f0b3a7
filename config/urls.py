from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from config import views
from config.security import queue_dashboard_urlpatterns

admin.site.site_header = "Costbook administration"
admin.site.site_title = "Costbook admin"

urlpatterns = [
    path("", views.home, name="home"),
    path("health/", views.health, name="health"),
    path("favicon.ico", views.favicon, name="favicon"),
    path("login/", auth_views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("inventory/", include("inventory.urls")),
    path("ledger/", include("ledger.urls")),
    path("closing/", include("closing.urls")),
    path("reports/", include("reports.urls")),
    path("warehouse/", include("warehouse.urls")),
    path("api/v1/", include("api.urls")),
    path("admin/django-rq/", include((queue_dashboard_urlpatterns(), "django_rq"))),
    path("admin/", admin.site.urls),
]
