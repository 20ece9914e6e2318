from django.urls import path

from . import views

app_name = "programs"

urlpatterns = [
    path("", views.program_list, name="program-list"),
    path("assign/", views.program_assign, name="program-assign"),
    path("templates/", views.template_library, name="template-library"),
    path("templates/sync/", views.template_sync, name="template-sync"),
    path("templates/<int:pk>/", views.template_detail, name="template-detail"),
    path("<int:pk>/", views.program_detail, name="program-detail"),
    path("<int:pk>/pdf/", views.program_pdf, name="program-pdf"),
    path("<int:pk>/send/", views.program_send, name="program-send"),
    path("<int:pk>/weeks/<int:week>/", views.program_week, name="program-week"),
    path("<int:pk>/weeks/<int:week>/days/<int:day>/add/", views.exercise_add, name="exercise-add"),
    path("<int:pk>/exercises/<slug:exercise_id>/", views.exercise_row, name="exercise-row"),
    path("<int:pk>/exercises/<slug:exercise_id>/edit/", views.exercise_edit, name="exercise-edit"),
    path(
        "<int:pk>/exercises/<slug:exercise_id>/delete/",
        views.exercise_delete,
        name="exercise-delete",
    ),
]
