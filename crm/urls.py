from django.urls import path

from . import api, views

app_name = "crm"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("clients/", views.client_list, name="client-list"),
    path("clients/new/", views.client_create, name="client-create"),
    path("clients/<int:pk>/", views.client_detail, name="client-detail"),
    path("clients/<int:pk>/edit/<slug:section>/", views.client_section, name="client-section"),
    path("clients/<int:pk>/stage/", views.client_stage, name="client-stage"),
    path("clients/<int:pk>/actions/", views.client_action, name="client-action"),
    path("clients/<int:pk>/next-contact/", views.client_next_contact, name="client-next-contact"),
    path("clients/<int:pk>/follow-up/", views.client_follow_up, name="client-follow-up"),
    path("clients/<int:pk>/take/", views.client_take, name="client-take"),
    path("leads/new/", views.lead_quick_add, name="lead-quick-add"),
    path("search/", views.search, name="search"),
    path("api/website/contact-form/", api.website_contact_form, name="website-contact-form"),
]
