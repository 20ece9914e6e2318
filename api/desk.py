"""Front-desk resources: shifts, client ledgers, promotions and the money report (read-only here;
money is taken at the desk, where a shift is open, and promotions are set up on /promotions/)."""

from django.http import Http404
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, viewsets
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from desk.models import LedgerEntry, Shift
from desk.reports import PeriodError, period_for, report_build
from desk.selectors import shifts_visible
from payments.models import PROMOTION_FIELDS, Promotion
from payments.services import promotion_in_force, promotions_in_force

from .views import BY_CLIENT, MAX_ID, Cursor, ScopedByClient, _date

REPORT_ROLES = ("admin", "operator", "read_only")


class ShiftSerializer(serializers.ModelSerializer):
    operator = serializers.CharField(source="operator.__str__", read_only=True)

    class Meta:
        model = Shift
        fields = [
            "id",
            "operator_id",
            "operator",
            "opened_at",
            "closed_at",
            "expected_cash",
            "expected_card",
            "expected_transfer",
            "expected_debt",
            "counted_cash",
            "counted_card",
            "counted_transfer",
            "comment",
        ]


class LedgerEntrySerializer(serializers.ModelSerializer):
    class Meta:
        model = LedgerEntry
        fields = [
            "id",
            "client_id",
            "kind",
            "amount",
            "method",
            "shift_id",
            "payment_id",
            "actor_id",
            "reason",
            "created_at",
        ]


class PromotionSerializer(serializers.ModelSerializer):
    tariffs = serializers.PrimaryKeyRelatedField(
        many=True, read_only=True, help_text="Their ids; empty: every tariff."
    )
    in_force = serializers.SerializerMethodField(
        help_text="Running now: active, within its dates, weekdays and hours (studio time)."
    )

    class Meta:
        model = Promotion
        fields = ["id", *PROMOTION_FIELDS, "in_force"]

    def get_in_force(self, promotion: Promotion) -> bool:
        return promotion_in_force(promotion, self.context["now"])


@extend_schema(
    tags=["desk"],
    parameters=[
        OpenApiParameter(
            "in_force", OpenApiTypes.BOOL, description="Only the promotions running now."
        )
    ],
)
class PromotionViewSet(viewsets.ReadOnlyModelViewSet):
    """Promotions with their schedules (weekdays 0 = Monday), for any staff member: what the bot,
    /pay/ and the desk apply by themselves at checkout."""

    serializer_class = PromotionSerializer
    pagination_class = Cursor

    def get_queryset(self):
        return Promotion.objects.prefetch_related("tariffs").order_by()

    @cached_property
    def now(self):
        return timezone.now()

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "now": self.now}

    def filter_queryset(self, queryset):
        flag = self.request.query_params.get("in_force")
        if flag is None:
            return queryset
        if flag not in ("true", "false", "1", "0"):
            raise ValidationError({"in_force": [_("Use true or false.")]})
        running = [promotion.pk for promotion in promotions_in_force(self.now)]
        if flag in ("true", "1"):
            return queryset.filter(pk__in=running)
        return queryset.exclude(pk__in=running)

    def get_object(self):
        pk = str(self.kwargs.get("pk"))
        if not pk.isdigit() or not 0 < int(pk) < MAX_ID:
            raise Http404
        return super().get_object()


@extend_schema(tags=["desk"])
class ShiftViewSet(viewsets.ReadOnlyModelViewSet):
    """Operators' shifts: admins and read-only see all, an operator their own."""

    serializer_class = ShiftSerializer
    pagination_class = Cursor

    def get_queryset(self):
        if not self.request.user.is_authenticated:  # the schema generator asks anonymously
            return Shift.objects.none()
        return shifts_visible(user=self.request.user).order_by()

    def get_object(self):
        pk = str(self.kwargs.get("pk"))
        if not pk.isdigit() or not 0 < int(pk) < MAX_ID:
            raise Http404
        return super().get_object()


@extend_schema(tags=["desk"], parameters=BY_CLIENT)
class LedgerViewSet(ScopedByClient, viewsets.ReadOnlyModelViewSet):
    """Money events on clients' accounts (top-ups, charges, debts, repayments, write-offs)."""

    serializer_class = LedgerEntrySerializer
    pagination_class = Cursor

    def get_queryset(self):
        return self.scoped(LedgerEntry.objects.all())


def _rows(items, *names):
    return [dict(zip(names, row, strict=True)) for row in items]


@extend_schema(tags=["desk"])
class MoneyReport(APIView):
    @extend_schema(
        responses=OpenApiTypes.OBJECT,
        parameters=[
            OpenApiParameter("period", str, enum=["day", "week", "custom"]),
            OpenApiParameter("start", OpenApiTypes.DATE),
            OpenApiParameter("end", OpenApiTypes.DATE),
        ],
    )
    def get(self, request):
        """Income by day and method, sales by tariff and trainer, refunds, active and new clients
        by day, shift performance — the /reports/ page as JSON."""
        if not (request.user.is_superuser or request.user.role in REPORT_ROLES):
            raise PermissionDenied
        kind = request.query_params.get("period", "week")
        if kind not in ("day", "week", "custom"):
            raise ValidationError({"period": ["day, week or custom."]})
        try:
            period = period_for(kind=kind, start=_date(request, "start"), end=_date(request, "end"))
        except PeriodError as error:
            raise ValidationError({"period": [str(error)]}) from error
        report = report_build(period=period)
        return Response(
            {
                "start": period.start,
                "end": period.end,
                "income_total": report.income_total,
                "income_by_day": _rows(report.income_by_day, "day", "amount"),
                "income_by_method": _rows(report.income_by_method, "method", "amount"),
                "sales_by_tariff": _rows(report.sales_by_tariff, "tariff", "count", "amount"),
                "sales_by_trainer": _rows(report.sales_by_trainer, "trainer", "count", "amount"),
                "refunds": {"count": report.refunds_count, "total": report.refunds_total},
                "active_by_day": _rows(report.active_by_day, "day", "clients"),
                "new_by_day": _rows(report.new_by_day, "day", "clients"),
                "shifts": report.shifts,
            }
        )
