from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError

from . import services
from .forms import TrainingGroupForm
from .models import (
    Attendance,
    Booking,
    ClientRank,
    Discipline,
    Grading,
    GradingCandidate,
    Hall,
    Membership,
    MembershipPlan,
    Rank,
    RankHistory,
    Session,
    TrainingGroup,
)


class RankInline(admin.TabularInline):
    model = Rank
    extra = 0


@admin.register(Discipline)
class DisciplineAdmin(admin.ModelAdmin):
    list_display = ["name", "order"]
    inlines = [RankInline]


@admin.register(Hall)
class HallAdmin(admin.ModelAdmin):
    list_display = ["name"]


class GroupAdminForm(TrainingGroupForm):
    class Meta(TrainingGroupForm.Meta):
        fields = [*TrainingGroupForm.Meta.fields, "regulars"]

    def clean(self):
        data = super().clean()
        if not self.errors:
            group = self.instance
            for name, value in data.items():
                if name != "regulars":
                    setattr(group, name, value)
            try:
                services.group_check(group=group)
            except services.AcademyError as exc:
                raise ValidationError(str(exc)) from exc
        return data


@admin.register(TrainingGroup)
class TrainingGroupAdmin(admin.ModelAdmin):
    form = GroupAdminForm
    list_display = [
        "title",
        "discipline",
        "trainer",
        "hall",
        "weekdays",
        "start_time",
        "capacity",
        "is_active",
    ]
    list_filter = ["discipline", "trainer", "hall", "is_active"]
    raw_id_fields = ["regulars"]


@admin.register(Session)
class SessionAdmin(admin.ModelAdmin):
    list_display = ["title", "starts_at", "hall", "trainer", "booked_count", "capacity", "status"]
    list_filter = ["status", "discipline", "hall", "trainer"]
    date_hierarchy = "starts_at"
    # Bookings, capacity and cancelling go through the services (the roll-call page).
    readonly_fields = [
        "booked_count",
        "status",
        "capacity",
        "starts_at",
        "ends_at",
        "hall",
        "group",
    ]


@admin.register(Booking)
class BookingAdmin(admin.ModelAdmin):
    list_display = ["client", "session", "status", "queued_at"]
    list_filter = ["status"]
    raw_id_fields = ["client", "session"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Attendance)
class AttendanceAdmin(admin.ModelAdmin):
    list_display = ["client", "session", "status", "walk_in", "marked_by", "marked_at"]
    list_filter = ["status", "walk_in"]
    raw_id_fields = ["client", "session", "membership"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class PlanAdminForm(forms.ModelForm):
    class Meta:
        model = MembershipPlan
        fields = ["tariff", "kind", "visits", "duration_days"]


@admin.register(MembershipPlan)
class MembershipPlanAdmin(admin.ModelAdmin):
    form = PlanAdminForm
    list_display = ["__str__", "kind", "visits", "duration_days"]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = [
        "client",
        "plan",
        "starts_on",
        "ends_on",
        "visits_used",
        "visits_total",
        "status",
    ]
    list_filter = ["status", "plan"]
    raw_id_fields = ["client", "payment"]
    readonly_fields = ["visits_used", "payment"]


@admin.register(ClientRank)
class ClientRankAdmin(admin.ModelAdmin):
    list_display = ["client", "discipline", "rank", "stripes", "since"]
    list_filter = ["discipline", "rank"]
    raw_id_fields = ["client"]


class CandidateInline(admin.TabularInline):
    model = GradingCandidate
    extra = 0
    raw_id_fields = ["client"]


@admin.register(Grading)
class GradingAdmin(admin.ModelAdmin):
    list_display = ["discipline", "held_on", "status"]
    inlines = [CandidateInline]


@admin.register(RankHistory)
class RankHistoryAdmin(admin.ModelAdmin):
    list_display = ["client", "discipline", "rank", "stripes", "awarded_on"]
    raw_id_fields = ["client"]
