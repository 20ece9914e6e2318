from django.urls import path

from . import views

app_name = "marketing"

urlpatterns = [
    path("settings/website/", views.website_settings, name="website-settings"),
    path("website/photo/", views.website_photo, name="website-photo"),
    path("widget.js", views.widget_js, name="widget-js"),
    path("widget.css", views.widget_css, name="widget-css"),
    path("api/chat/message", views.chat_message, name="chat-message"),
    path("marketing/posts/", views.post_list, name="post-list"),
    path("marketing/posts/new/", views.post_create, name="post-create"),
    path("marketing/posts/<int:pk>/", views.post_detail, name="post-detail"),
    path("marketing/posts/<int:pk>/edit/", views.post_edit, name="post-edit"),
    path("marketing/posts/<int:pk>/schedule/", views.post_schedule, name="post-schedule"),
    path("marketing/posts/<int:pk>/unschedule/", views.post_unschedule, name="post-unschedule"),
    path("marketing/posts/<int:pk>/retry/", views.post_retry, name="post-retry"),
    path("marketing/posts/<int:pk>/delete/", views.post_delete, name="post-delete"),
    path("marketing/posts/<int:pk>/image/", views.post_image, name="post-image"),
    path("marketing/analytics/", views.analytics, name="analytics"),
]
