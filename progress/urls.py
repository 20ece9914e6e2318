from django.urls import path

from . import views

app_name = "progress"

urlpatterns = [
    path("clients/<int:pk>/progress/", views.client_progress, name="client-progress"),
    path("clients/<int:pk>/progress/entries/", views.entry_save, name="entry-save"),
    path(
        "clients/<int:pk>/progress/entries/<int:entry_pk>/delete/",
        views.entry_delete,
        name="entry-delete",
    ),
    path("clients/<int:pk>/progress/targets/", views.target_save, name="target-save"),
    path("clients/<int:pk>/progress/photos/", views.photo_upload, name="photo-upload"),
    path(
        "clients/<int:pk>/progress/photos/<int:photo_pk>/",
        views.photo_file,
        name="photo-file",
    ),
    path(
        "clients/<int:pk>/progress/photos/<int:photo_pk>/delete/",
        views.photo_delete,
        name="photo-delete",
    ),
    path("clients/<int:pk>/progress/report.pdf", views.report_download, name="report-download"),
    path("clients/<int:pk>/progress/report/send/", views.report_send, name="report-send"),
    path("progress/analytics/", views.analytics, name="analytics"),
]
