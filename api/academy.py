"""Academy resources: sessions, bookings and attendance, through the academy's scope and services.

A trainer sees only their own groups' sessions (and the bookings and marks in them), as on
/academy/; the writes are the roll call's and the bot's own services.
"""

from django.http import Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from academy import services as academy_services
from academy.models import Attendance, Booking, Session
from academy.selectors import sessions_for

from .views import MAX_ID, Cursor, _client, _date


class SessionSerializer(serializers.ModelSerializer):
    discipline = serializers.CharField(source="discipline.name", read_only=True)
    hall = serializers.CharField(source="hall.name", read_only=True, allow_null=True)
    trainer = serializers.CharField(source="trainer.__str__", read_only=True, allow_null=True)

    class Meta:
        model = Session
        fields = [
            "id",
            "group_id",
            "title",
            "discipline",
            "trainer_id",
            "trainer",
            "hall",
            "starts_at",
            "ends_at",
            "capacity",
            "booked_count",
            "level",
            "status",
            "cancel_reason",
        ]


class BookingSerializer(serializers.ModelSerializer):
    class Meta:
        model = Booking
        fields = ["id", "session_id", "client_id", "status", "queued_at", "created_at"]


class BookingWriteSerializer(serializers.Serializer):
    session_id = serializers.IntegerField()
    client_id = serializers.IntegerField()


class AttendanceSerializer(serializers.ModelSerializer):
    class Meta:
        model = Attendance
        fields = [
            "id",
            "session_id",
            "client_id",
            "status",
            "walk_in",
            "membership_id",
            "marked_by_id",
            "marked_at",
        ]


class AttendanceWriteSerializer(serializers.Serializer):
    session_id = serializers.IntegerField()
    client_id = serializers.IntegerField()
    status = serializers.ChoiceField(choices=Attendance.Status.choices)
    walk_in = serializers.BooleanField(default=False)


def _session(request, pk) -> Session:
    if not str(pk).isdigit() or not 0 < int(pk) < MAX_ID:
        raise Http404
    session = sessions_for(request.user).filter(pk=pk).first()
    if session is None:
        raise Http404
    return session


class BySession:
    """Rows of the sessions the user may see; `?session=`."""

    def scoped(self, queryset):
        queryset = queryset.filter(session__in=sessions_for(self.request.user))
        raw = self.request.query_params.get("session", "")
        if raw:
            queryset = queryset.filter(session_id=_session(self.request, raw).pk)
        return queryset

    def get_object(self):
        pk = str(self.kwargs.get("pk"))
        if not pk.isdigit() or not 0 < int(pk) < MAX_ID:
            raise Http404
        return super().get_object()


@extend_schema(
    tags=["academy"],
    parameters=[
        OpenApiParameter("date_from", OpenApiTypes.DATE),
        OpenApiParameter("date_to", OpenApiTypes.DATE),
    ],
)
class SessionViewSet(viewsets.ReadOnlyModelViewSet):
    """Dated group sessions (from the weekly schedule, or one-off)."""

    serializer_class = SessionSerializer
    pagination_class = Cursor

    def get_queryset(self):
        queryset = sessions_for(self.request.user).select_related("discipline", "hall", "trainer")
        date_from, date_to = _date(self.request, "date_from"), _date(self.request, "date_to")
        if date_from:
            queryset = queryset.filter(starts_at__date__gte=date_from)
        if date_to:
            queryset = queryset.filter(starts_at__date__lte=date_to)
        return queryset

    def get_object(self):
        return _session(self.request, self.kwargs.get("pk"))


SESSION_FILTER = [OpenApiParameter("session", int, description="Only this session's rows")]


@extend_schema(tags=["academy"], parameters=SESSION_FILTER)
class BookingViewSet(BySession, mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Places booked in sessions, and their waitlists (a full session puts a new booking there)."""

    serializer_class = BookingSerializer
    pagination_class = Cursor

    def get_queryset(self):
        return self.scoped(Booking.objects.all())

    @extend_schema(request=BookingWriteSerializer, responses={201: BookingSerializer})
    def create(self, request, *args, **kwargs):
        data = BookingWriteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        session = _session(request, data.validated_data["session_id"])
        client = _client(request, data.validated_data["client_id"])
        result = academy_services.booking_create(session=session, client=client)
        return Response(BookingSerializer(result.booking).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses=BookingSerializer)
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        """Cancel for the client (staff may cancel at any time); the waitlist moves up."""
        booking = self.get_object()
        academy_services.booking_cancel(booking=booking, by_client=False)
        booking.refresh_from_db()
        return Response(BookingSerializer(booking).data)


@extend_schema(tags=["academy"], parameters=SESSION_FILTER)
class AttendanceViewSet(BySession, mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """The roll call: present / late / absent / excused per student and session."""

    serializer_class = AttendanceSerializer
    pagination_class = Cursor

    def get_queryset(self):
        return self.scoped(Attendance.objects.all())

    @extend_schema(request=AttendanceWriteSerializer, responses={201: AttendanceSerializer})
    def create(self, request, *args, **kwargs):
        """Mark a student (again): the same service as a tap in the roll call."""
        data = AttendanceWriteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        session = _session(request, values["session_id"])
        client = _client(request, values["client_id"])
        mark = academy_services.attendance_mark(
            session=session,
            client=client,
            status=values["status"],
            actor=request.user,
            walk_in=values["walk_in"],
        )
        return Response(AttendanceSerializer(mark).data, status=status.HTTP_201_CREATED)
