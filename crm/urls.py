from django.urls import path

from . import contact_form, views

app_name = "crm"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("today/", views.today, name="today"),
    path("overview/", views.overview, name="overview"),
    path("summaries/recompute/", views.summary_recompute, name="summary-recompute"),
    path("tasks/<int:pk>/done/", views.task_done, name="task-done"),
    path("tasks/<int:pk>/reschedule/", views.task_reschedule, name="task-reschedule"),
    path("clients/<int:pk>/tasks/", views.client_task_create, name="client-task-create"),
    path("notifications/", views.notification_list, name="notifications"),
    path("notifications/badges/", views.workspace_badges, name="badges"),
    path("clients/", views.client_list, name="client-list"),
    path("clients/new/", views.client_create, name="client-create"),
    path("clients/<int:pk>/", views.client_detail, name="client-detail"),
    path("clients/<int:pk>/edit/<slug:section>/", views.client_section, name="client-section"),
    path("clients/<int:pk>/tabs/<slug:tab>/", views.client_tab, name="client-tab"),
    path("clients/<int:pk>/actions/", views.client_action, name="client-action"),
    path("clients/<int:pk>/follow-up/", views.client_follow_up, name="client-follow-up"),
    path("clients/<int:pk>/take/", views.client_take, name="client-take"),
    path("leads/new/", views.lead_quick_add, name="lead-quick-add"),
    path("search/", views.search, name="search"),
    path(
        "api/website/contact-form/", contact_form.website_contact_form, name="website-contact-form"
    ),
]
