from django.urls import path

from . import views

app_name = "privacy"

urlpatterns = [
    path("privacy/", views.policy, name="policy"),
    path("clients/<int:pk>/privacy/export/", views.client_export, name="client-export"),
    path("clients/<int:pk>/privacy/forget/", views.client_forget, name="client-forget"),
]
