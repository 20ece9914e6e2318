from django.urls import path

from . import views

app_name = "automations"

urlpatterns = [
    path("", views.rule_list, name="rule-list"),
    path("new/", views.rule_edit, name="rule-create"),
    path("log/", views.run_log, name="run-log"),
    path("nps/", views.nps_analytics, name="nps"),
    path("preview/", views.rule_preview, name="rule-preview"),
    path("<int:rule_id>/", views.rule_edit, name="rule-edit"),
    path("<int:rule_id>/toggle/", views.rule_toggle, name="rule-toggle"),
]
