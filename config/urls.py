from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.utils.translation import gettext_lazy as _

from . import views

# Lazy: the admin is titled in the language of the request (Russian by default).
admin.site.site_header = admin.site.site_title = _("Fitness CRM")
admin.site.index_title = _("Administration")

urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(redirect_authenticated_user=True),
        name="login",
    ),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("admin/", admin.site.urls),
    path("", include("api.urls")),
    path("audit/", include("audit.urls")),
    path("", include("progress.urls")),
    path("bot/", include("botapp.urls")),
    path("", include("privacy.urls")),
    path("automations/", include("automations.urls")),
    path("programs/", include("programs.urls")),
    path("academy/", include("academy.urls")),
    path("", include("payments.urls")),
    path("", include("crm.urls")),
    path("", include("pipeline.urls")),
    path("", include("desk.urls")),
    path("", include("marketing.urls")),
]
