from django.urls import path

from . import views

app_name = "marketing"

urlpatterns = [
    path("settings/website/", views.website_settings, name="website-settings"),
    path("website/photo/", views.website_photo, name="website-photo"),
    path("widget.js", views.widget_js, name="widget-js"),
    path("widget.css", views.widget_css, name="widget-css"),
    path("api/chat/message", views.chat_message, name="chat-message"),
]
