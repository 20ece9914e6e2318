"""REST API v1: thin views over the same scope function and services as the pages.

Ownership: every queryset starts from `crm.access.scope_to_user`, so another trainer's client (or
anything of theirs) answers 404, exactly as on the pages. Writes call the domain services.
"""

from datetime import date

from django.db import transaction
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.filters import OrderingFilter
from rest_framework.pagination import CursorPagination
from rest_framework.response import Response
from rest_framework.views import APIView

from crm import services as crm_services
from crm.access import get_client_for, scope_to_user, visible_clients
from crm.models import Client, ClientAction, ClientContact
from crm.selectors import clients_filter, dashboard_get
from payments import services as payment_services
from payments.models import Payment
from payments.selectors import revenue_get
from pipeline import services as pipeline_services
from pipeline.models import PipelineStage, StageMove
from pipeline.selectors import analytics_get
from programs import services as program_services
from programs.models import TrainingProgram
from progress import services as progress_services
from progress.metrics import METRIC_FIELDS
from progress.models import ProgressJournal
from ui import periods

from . import serializers as s
from .auth import AdminWritePermission

CLIENT_FILTERS = [
    OpenApiParameter("q", str, description="Name, phone digits or @username"),
    OpenApiParameter("stage", int),
    OpenApiParameter("trainer", str, description="A trainer's id, or 'none' for unassigned"),
    OpenApiParameter("source", str),
    OpenApiParameter("created_from", OpenApiTypes.DATE),
    OpenApiParameter("created_to", OpenApiTypes.DATE),
]
MAX_ID = 2**63 - 1  # ids beyond a bigint match nothing (no database overflow error)
BY_CLIENT = [OpenApiParameter("client", int, description="Only this client's rows")]


class Cursor(CursorPagination):
    """Constant time deep into any number of rows: the cursor is a position, not an offset."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200
    ordering = "-id"


def _date(request, name: str) -> date | None:
    raw = request.query_params.get(name, "")
    if not raw:
        return None
    try:
        value = parse_date(raw)
    except ValueError:
        value = None
    if value is None:
        raise ValidationError({name: [_("Use the format YYYY-MM-DD.")]})
    return value


def _int(request, name: str) -> int | None:
    """An id from the query string; None when absent, 0 (matches nothing) when out of range."""
    raw = request.query_params.get(name, "")
    if not raw:
        return None
    try:
        value = int(raw)
    except ValueError:
        raise ValidationError({name: [_("A whole number is expected.")]}) from None
    return value if 0 < value < MAX_ID else 0


def _client(request, pk) -> Client:
    if pk is None or not str(pk).isdigit() or not 0 < int(pk) < MAX_ID:
        raise Http404
    # The same lookup as the pages: another trainer's client is a 404 and goes to the audit log.
    return get_client_for(request.user, int(pk))


class ScopedByClient:
    """Rows reached through a `client` foreign key, limited to the user's clients; `?client=`."""

    client_path = "client"

    def scoped(self, queryset):
        queryset = scope_to_user(queryset, self.request.user, client_path=self.client_path)
        raw = self.request.query_params.get("client", "")
        if raw:
            try:
                client_id = int(raw)
            except ValueError:
                raise ValidationError({"client": [_("A whole number is expected.")]}) from None
            if not 0 < client_id < MAX_ID:
                return queryset.none()
            queryset = queryset.filter(client_id=client_id)
        return queryset

    def get_object(self):
        pk = str(self.kwargs.get("pk"))
        if not pk.isdigit() or not 0 < int(pk) < MAX_ID:
            raise Http404
        return super().get_object()


@extend_schema(tags=["clients"])
class ClientViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = s.ClientSerializer
    pagination_class = Cursor
    filter_backends = [OrderingFilter]
    ordering_fields = ["id", "created_at", "updated_at"]

    def get_queryset(self):
        queryset = visible_clients(self.request.user).select_related("stage", "trainer")
        if self.action != "list":
            return queryset
        stage_id = _int(self.request, "stage")
        stage = PipelineStage.objects.filter(pk=stage_id).first() if stage_id else None
        if stage_id is not None and stage is None:
            return queryset.none()
        trainer = self.request.query_params.get("trainer", "")
        if trainer not in ("", "none") and not trainer.isdigit():
            raise ValidationError({"trainer": [_("A trainer's id or 'none'.")]})
        return clients_filter(
            queryset,
            q=self.request.query_params.get("q", "")[:100],
            trainer="none" if trainer == "none" else trainer,
            source=self.request.query_params.get("source", "")[:64],
            stage=stage,
            created_from=_date(self.request, "created_from"),
            created_to=_date(self.request, "created_to"),
        )

    def get_object(self):
        return _client(self.request, self.kwargs.get("pk"))

    @extend_schema(parameters=CLIENT_FILTERS)
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    def _trainer_allowed(self, trainer) -> None:
        user = self.request.user
        if user.is_trainer and trainer is not None and trainer != user:
            raise PermissionDenied(_("A trainer may assign clients only to themselves."))

    @extend_schema(request=s.ClientCreateSerializer, responses={201: s.ClientSerializer})
    def create(self, request, *args, **kwargs):
        data = s.ClientCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        trainer = values.pop("trainer_id", None)
        self._trainer_allowed(trainer)
        client = crm_services.client_create(actor=request.user, trainer=trainer, **values)
        return Response(s.ClientSerializer(client).data, status=status.HTTP_201_CREATED)

    def update(self, request, *args, **kwargs):
        client = self.get_object()
        partial = kwargs.pop("partial", False)
        serializer = self.get_serializer(client, data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        if "trainer" in data:
            self._trainer_allowed(data["trainer"])
        crm_services.client_update(client=client, data=data)
        return Response(s.ClientSerializer(self.get_object()).data)

    @extend_schema(request=s.MoveStageSerializer, responses={200: s.StageMoveSerializer})
    @action(detail=True, methods=["post"], url_path="move-stage")
    def move_stage(self, request, pk=None):
        client = self.get_object()
        data = s.MoveStageSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        move = pipeline_services.stage_move(
            client=client,
            stage=data.validated_data["stage_id"],
            actor=request.user,
            notes=data.validated_data["notes"],
        )
        if move is None:
            return Response({"detail": _("The client is already on this stage.")})
        return Response(s.StageMoveSerializer(move).data)

    def _page(self, queryset, serializer_class):
        page = self.paginate_queryset(queryset)
        return self.get_paginated_response(serializer_class(page, many=True).data)

    @extend_schema(responses=s.StageMoveSerializer(many=True))
    @action(detail=True, methods=["get"])
    def history(self, request, pk=None):
        client = self.get_object()
        return self._page(
            StageMove.objects.filter(client=client).select_related("actor"), s.StageMoveSerializer
        )

    @extend_schema(responses=s.ProgramSerializer(many=True))
    @action(detail=True, methods=["get"])
    def programs(self, request, pk=None):
        client = self.get_object()
        return self._page(
            TrainingProgram.objects.filter(client=client).defer("content", "formatting"),
            s.ProgramSerializer,
        )

    @extend_schema(responses=s.PaymentSerializer(many=True))
    @action(detail=True, methods=["get"])
    def payments(self, request, pk=None):
        client = self.get_object()
        return self._page(
            Payment.objects.filter(client=client).select_related("tariff"), s.PaymentSerializer
        )

    @extend_schema(responses=s.ProgressSerializer(many=True))
    @action(detail=True, methods=["get"])
    def progress(self, request, pk=None):
        client = self.get_object()
        return self._page(ProgressJournal.objects.filter(client=client), s.ProgressSerializer)

    @extend_schema(responses=s.ActionSerializer(many=True))
    @action(detail=True, methods=["get"])
    def actions(self, request, pk=None):
        client = self.get_object()
        return self._page(
            ClientAction.objects.filter(client=client).select_related("author"), s.ActionSerializer
        )

    @extend_schema(responses=s.ContactSerializer(many=True))
    @action(detail=True, methods=["get"])
    def contacts(self, request, pk=None):
        client = self.get_object()
        return self._page(ClientContact.objects.filter(client=client), s.ContactSerializer)

    @extend_schema(
        responses=inline_serializer(
            "ProgressChart",
            {
                "metric": serializers.CharField(),
                "points": serializers.ListField(child=serializers.DictField()),
            },
            many=True,
        )
    )
    @action(detail=True, methods=["get"], url_path="progress-chart")
    def progress_chart(self, request, pk=None):
        """Series per measurement for charts: `[{metric, points: [{date, period, value}]}]`."""
        client = self.get_object()
        entries = ProgressJournal.objects.filter(client=client).order_by("measured_on", "id")[:500]
        series = {name: [] for name in METRIC_FIELDS}
        for entry in entries:
            for name in METRIC_FIELDS:
                value = getattr(entry, name)
                if value is not None:
                    series[name].append(
                        {"date": entry.measured_on, "period": entry.period, "value": str(value)}
                    )
        return Response(
            [{"metric": name, "points": points} for name, points in series.items() if points]
        )


@extend_schema(tags=["pipeline"])
class StageViewSet(viewsets.ModelViewSet):
    """Pipeline stages: everyone reads; admins change them, under the same rules as the page."""

    serializer_class = s.StageSerializer
    permission_classes = [AdminWritePermission]
    pagination_class = None
    queryset = PipelineStage.objects.all()

    def get_object(self):
        pk = self.kwargs.get("pk")
        if not str(pk).isdigit() or not 0 < int(pk) < MAX_ID:
            raise Http404
        return get_object_or_404(PipelineStage, pk=pk)

    def perform_create(self, serializer):
        data = serializer.validated_data
        serializer.instance = pipeline_services.stage_create(
            name=data["name"],
            color=data.get("color", "#6b7280"),
            description=data.get("description", ""),
            expected_days=data.get("expected_days"),
        )

    def perform_update(self, serializer):
        stage, data = serializer.instance, serializer.validated_data
        serializer.instance = pipeline_services.stage_update(
            stage=stage,
            name=data.get("name", stage.name),
            color=data.get("color", stage.color),
            description=data.get("description", stage.description),
            expected_days=data.get("expected_days", stage.expected_days),
        )

    @extend_schema(request=s.StageOrderSerializer, responses=s.StageSerializer(many=True))
    @action(detail=False, methods=["post"])
    def reorder(self, request):
        """Put the stages in this order (ids left out keep their place after them)."""
        data = s.StageOrderSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        pipeline_services.stage_reorder(stage_ids=data.validated_data["stage_ids"])
        return Response(s.StageSerializer(PipelineStage.objects.all(), many=True).data)

    def perform_destroy(self, instance):
        pipeline_services.stage_delete(stage=instance)


@extend_schema(tags=["pipeline"], parameters=BY_CLIENT)
class StageMoveViewSet(ScopedByClient, viewsets.ReadOnlyModelViewSet):
    """Stage history of the clients you see, newest first."""

    serializer_class = s.StageMoveSerializer
    pagination_class = Cursor

    def get_queryset(self):
        return self.scoped(StageMove.objects.select_related("actor"))


@extend_schema(tags=["programs"], parameters=BY_CLIENT)
class ProgramViewSet(ScopedByClient, viewsets.ReadOnlyModelViewSet):
    pagination_class = Cursor

    def get_serializer_class(self):
        return s.ProgramDetailSerializer if self.action == "retrieve" else s.ProgramSerializer

    def get_queryset(self):
        queryset = self.scoped(TrainingProgram.objects.all())
        if self.action == "list":
            queryset = queryset.defer("content", "formatting", "formatted_text")
        return queryset

    @extend_schema(request=s.ProgramAssignSerializer, responses={201: s.ProgramSerializer})
    @action(detail=False, methods=["post"])
    def assign(self, request):
        data = s.ProgramAssignSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        client = _client(request, data.validated_data["client_id"])
        program = program_services.program_assign(
            client=client,
            kind=data.validated_data["kind"],
            actor=request.user,
            token=data.validated_data["request_id"],
        )
        return Response(s.ProgramSerializer(program).data, status=status.HTTP_201_CREATED)


@extend_schema(tags=["progress"], parameters=BY_CLIENT)
class ProgressViewSet(ScopedByClient, viewsets.ModelViewSet):
    pagination_class = Cursor
    serializer_class = s.ProgressSerializer
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def get_queryset(self):
        return self.scoped(ProgressJournal.objects.all())

    def _save(self, request, *, entry: ProgressJournal | None):
        data = s.ProgressWriteSerializer(
            data={
                **({"client_id": entry.client_id, "period": entry.period} if entry else {}),
                **request.data,
            }
        )
        data.is_valid(raise_exception=True)
        values = data.validated_data
        client = _client(request, values["client_id"])
        program = None
        if values.get("program_id"):
            program = TrainingProgram.objects.filter(pk=values["program_id"], client=client).first()
            if program is None:
                raise ValidationError({"program_id": [_("This client has no such program.")]})
        elif entry is not None:
            program = entry.program
        saved, created = progress_services.measurement_save(
            client=client,
            period=values["period"],
            program=program,
            values={name: values[name] for name in METRIC_FIELDS if name in values},
            measured_on=values.get("measured_on"),
            notes=values.get("notes"),
            actor=request.user,
        )
        code = status.HTTP_201_CREATED if created else status.HTTP_200_OK
        return Response(s.ProgressSerializer(saved).data, status=code)

    @extend_schema(request=s.ProgressWriteSerializer)
    def create(self, request, *args, **kwargs):
        return self._save(request, entry=None)

    @extend_schema(request=s.ProgressWriteSerializer)
    def partial_update(self, request, *args, **kwargs):
        return self._save(request, entry=self.get_object())

    def perform_destroy(self, instance):
        progress_services.measurement_delete(entry=instance)


@extend_schema(tags=["clients"], parameters=BY_CLIENT)
class ActionViewSet(ScopedByClient, mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Calls, meetings, notes… the trainer logged."""

    pagination_class = Cursor
    serializer_class = s.ActionSerializer

    def get_queryset(self):
        return self.scoped(ClientAction.objects.select_related("author"))

    @extend_schema(request=s.ActionWriteSerializer, responses={201: s.ActionSerializer})
    def create(self, request, *args, **kwargs):
        data = s.ActionWriteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        client = _client(request, values.pop("client_id"))
        with transaction.atomic():
            action_row = crm_services.client_action_log(
                client=client, author=request.user, **values
            )
        return Response(s.ActionSerializer(action_row).data, status=status.HTTP_201_CREATED)


@extend_schema(tags=["clients"], parameters=BY_CLIENT)
class ContactViewSet(ScopedByClient, viewsets.ReadOnlyModelViewSet):
    """Every message exchanged with clients (the bot's included)."""

    pagination_class = Cursor
    serializer_class = s.ContactSerializer

    def get_queryset(self):
        return self.scoped(ClientContact.objects.all())


@extend_schema(tags=["payments"], parameters=BY_CLIENT)
class PaymentViewSet(ScopedByClient, mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Payments of your clients; POST records money taken in person (cash, card, transfer)."""

    pagination_class = Cursor
    serializer_class = s.PaymentSerializer

    def get_queryset(self):
        queryset = self.scoped(Payment.objects.select_related("tariff"))
        wanted = self.request.query_params.get("status", "")
        if wanted:
            if wanted not in Payment.Status.values:
                raise ValidationError(
                    {
                        "status": [
                            _("One of: %(values)s.") % {"values": ", ".join(Payment.Status.values)}
                        ]
                    }
                )
            queryset = queryset.filter(status=wanted)
        return queryset

    @extend_schema(
        request=s.ManualPaymentSerializer,
        responses={201: s.PaymentSerializer},
        parameters=[OpenApiParameter("status", str, enum=Payment.Status.values)],
    )
    def create(self, request, *args, **kwargs):
        data = s.ManualPaymentSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        client = _client(request, values.pop("client_id"))
        payment = payment_services.payment_record_manual(
            client=client, actor=request.user, **values
        )
        return Response(s.PaymentSerializer(payment).data, status=status.HTTP_201_CREATED)


ANALYTICS_RANGE = [
    OpenApiParameter("date_from", OpenApiTypes.DATE),
    OpenApiParameter("date_to", OpenApiTypes.DATE),
]


def _period(request) -> periods.Period:
    """The analytics period from date_from/date_to (400 with the reason when it is wrong)."""
    for name in ("date_from", "date_to"):
        _date(request, name)  # a wrong format gets the API's own message
    form = periods.PeriodForm(request.query_params)
    if not form.is_valid():
        raise ValidationError(form.errors)
    return form.period()


@extend_schema(tags=["analytics"])
class AnalyticsOverview(APIView):
    @extend_schema(responses=OpenApiTypes.OBJECT)
    def get(self, request):
        """Clients per stage and this week's new leads and clients."""
        board = dashboard_get(user=request.user, follow_up_limit=0, exact=True)
        return Response(
            {
                "total_clients": board.total_clients,
                "unstaged_clients": board.unstaged_clients,
                "new_leads_this_week": board.new_leads_this_week,
                "new_clients_this_week": board.new_clients_this_week,
                "follow_ups_due": int(board.follow_ups_total),
                "stale": int(board.stale_total),
                "week_start": board.week_start,
                "stages": [
                    {"id": row.stage.pk, "name": row.stage.name, "clients": row.clients}
                    for row in board.stages
                ],
            }
        )


@extend_schema(tags=["analytics"])
class AnalyticsConversion(APIView):
    @extend_schema(responses=OpenApiTypes.OBJECT, parameters=ANALYTICS_RANGE)
    def get(self, request):
        """The funnel (reached, went on, rate per stage), conversion by source and lost reasons of
        the period (default: the last 90 days)."""
        period = _period(request)
        data = analytics_get(user=request.user, since=period.since, until=period.until)
        return Response(
            {
                "funnel": [
                    {
                        "stage_id": step.stage.pk,
                        "stage": step.stage.name,
                        "reached": step.reached,
                        "to_next": step.to_next,
                        "rate": step.rate,
                    }
                    for step in data.funnel
                ],
                "sources": [
                    {
                        "source": row.source,
                        "clients": row.clients,
                        "paid": row.paid,
                        "rate": row.rate,
                    }
                    for row in data.sources
                ],
                "lost_reasons": [
                    {"reason": reason, "clients": count} for reason, count in data.lost_reasons
                ],
            }
        )


@extend_schema(tags=["analytics"])
class AnalyticsRevenue(APIView):
    @extend_schema(responses=OpenApiTypes.OBJECT, parameters=ANALYTICS_RANGE)
    def get(self, request):
        """Revenue by month and by tariff, net of refunds, by payment date."""
        data = revenue_get(
            user=request.user,
            date_from=_date(request, "date_from"),
            date_to=_date(request, "date_to"),
        )
        rows = lambda items: [  # noqa: E731
            {"label": row.label, "payments": row.payments, "revenue": row.revenue} for row in items
        ]
        return Response(
            {
                "total": data.total,
                "average_check": data.average_check,
                "paying_clients": data.paying_clients,
                "qualified_clients": data.qualified_clients,
                "by_month": rows(data.by_month),
                "by_tariff": rows(data.by_tariff),
            }
        )


@extend_schema(tags=["analytics"])
class AnalyticsClientsGrowth(APIView):
    @extend_schema(responses=OpenApiTypes.OBJECT, parameters=ANALYTICS_RANGE)
    def get(self, request):
        """New leads per week of the period (default: the last 90 days)."""
        period = _period(request)
        data = analytics_get(user=request.user, since=period.since, until=period.until)
        return Response(
            {"weeks": [{"week": week, "new_clients": count} for week, count in data.weeks]}
        )
