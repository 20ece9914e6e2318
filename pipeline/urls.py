from django.urls import path
from django.views.generic import RedirectView

from . import views

app_name = "pipeline"

urlpatterns = [
    path("pipeline/", views.board, name="board"),
    path("pipeline/columns/<int:stage_id>/", views.board_column, name="column"),
    path("pipeline/clients/<int:pk>/move/", views.client_move, name="client-move"),
    path("pipeline/stages/", views.stage_settings, name="stages"),
    path("pipeline/stages/new/", views.stage_create, name="stage-create"),
    path("pipeline/stages/reorder/", views.stage_reorder, name="stage-reorder"),
    path("pipeline/stages/<int:stage_id>/", views.stage_update, name="stage-update"),
    path("pipeline/stages/<int:stage_id>/delete/", views.stage_delete, name="stage-delete"),
    path("pipeline/stages/<int:stage_id>/shift/", views.stage_shift, name="stage-shift"),
    path("pipeline/analytics/", views.analytics, name="analytics"),
    # The issue names /analytics/; the page lives beside the board.
    path(
        "analytics/",
        RedirectView.as_view(pattern_name="pipeline:analytics"),
        name="analytics-short",
    ),
    path(
        "api/clients/<int:pk>/pipeline-history",
        views.stage_history_api,
        name="client-history-api",
    ),
]
