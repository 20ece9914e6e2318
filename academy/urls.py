from django.urls import path

from . import views

app_name = "academy"

urlpatterns = [
    path("", views.week, name="week"),
    path("sessions/new/", views.session_create, name="session-create"),
    path("sessions/<int:pk>/", views.session_detail, name="session-detail"),
    path("sessions/<int:pk>/mark/<int:client_id>/", views.attendance_mark, name="attendance-mark"),
    path("sessions/<int:pk>/walk-in/", views.walk_in_add, name="walk-in-add"),
    path("sessions/<int:pk>/walk-in/search/", views.walk_in_search, name="walk-in-search"),
    path("sessions/<int:pk>/cancel/", views.session_cancel, name="session-cancel"),
    path("sessions/<int:pk>/capacity/", views.session_capacity, name="session-capacity"),
    path("clients/<int:client_id>/memberships/", views.membership_sell, name="membership-sell"),
    path("memberships/<int:pk>/freeze/", views.membership_freeze, name="membership-freeze"),
    path("ranks/", views.ranks_overview, name="ranks"),
    path("gradings/<int:pk>/", views.grading_detail, name="grading-detail"),
    path("reports/", views.reports_page, name="reports"),
    path("groups/", views.group_list, name="group-list"),
    path("groups/new/", views.group_edit, name="group-create"),
    path("groups/<int:pk>/", views.group_edit, name="group-edit"),
]
