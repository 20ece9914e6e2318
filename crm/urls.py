from django.urls import path

from . import views

app_name = "crm"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("clients/<int:pk>/follow-up/", views.client_follow_up, name="client-follow-up"),
]
