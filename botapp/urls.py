from django.urls import path

from . import views

app_name = "botapp"

urlpatterns = [
    path("webhook/", views.webhook, name="webhook"),
    path("preview/", views.preview, name="preview"),
    path("preview/send/", views.preview_send, name="preview-send"),
    path("preview/press/", views.preview_press, name="preview-press"),
    path("preview/reset/", views.preview_reset, name="preview-reset"),
    path("preview/documents/<int:pk>/", views.preview_document, name="preview-document"),
    path("clients/<int:pk>/reply/", views.client_reply, name="client-reply"),
    path("my-telegram/", views.my_telegram, name="my-telegram"),
]
