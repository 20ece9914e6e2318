from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.routers import SimpleRouter

from . import academy, desk, views
from .profile import token_create, token_revoke, tokens

router = SimpleRouter(trailing_slash=False)
router.register("clients", views.ClientViewSet, basename="client")
router.register("stages", views.StageViewSet, basename="stage")
router.register("stage-history", views.StageMoveViewSet, basename="stage-move")
router.register("programs", views.ProgramViewSet, basename="program")
router.register("progress", views.ProgressViewSet, basename="progress")
router.register("actions", views.ActionViewSet, basename="action")
router.register("contacts", views.ContactViewSet, basename="contact")
router.register("payments", views.PaymentViewSet, basename="payment")
router.register("academy/sessions", academy.SessionViewSet, basename="academy-session")
router.register("academy/bookings", academy.BookingViewSet, basename="academy-booking")
router.register("academy/attendance", academy.AttendanceViewSet, basename="academy-attendance")
router.register("desk/shifts", desk.ShiftViewSet, basename="desk-shift")
router.register("desk/ledger", desk.LedgerViewSet, basename="desk-ledger")
router.register("promotions", desk.PromotionViewSet, basename="promotion")

app_name = "api"

urlpatterns = [
    path("api/v1/", include(router.urls)),
    path("api/v1/analytics/overview", views.AnalyticsOverview.as_view(), name="analytics-overview"),
    path(
        "api/v1/analytics/conversion",
        views.AnalyticsConversion.as_view(),
        name="analytics-conversion",
    ),
    path("api/v1/analytics/revenue", views.AnalyticsRevenue.as_view(), name="analytics-revenue"),
    path(
        "api/v1/analytics/clients-growth",
        views.AnalyticsClientsGrowth.as_view(),
        name="analytics-clients-growth",
    ),
    path("api/v1/reports/money", desk.MoneyReport.as_view(), name="reports-money"),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api:schema"), name="docs"),
    path("profile/tokens/", tokens, name="tokens"),
    path("profile/tokens/new/", token_create, name="token-create"),
    path("profile/tokens/<int:pk>/revoke/", token_revoke, name="token-revoke"),
]
