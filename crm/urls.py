from django.urls import path

from . import api, views

app_name = "crm"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("clients/<int:pk>/follow-up/", views.client_follow_up, name="client-follow-up"),
    path("api/website/contact-form/", api.website_contact_form, name="website-contact-form"),
]
