"""Ranks and gradings: a ladder per discipline, each student's rank with its history, promotion
rules that list who is eligible, and gradings that promote the ones who pass.

A promotion is one step: the next stripe at the same rank, or — with all stripes — the next rank with
none. A rank's rule (sessions attended since the last promotion, months since it) applies to every
step taken from that rank.
"""

from dataclasses import dataclass
from datetime import date

from django.db import transaction
from django.db.models import Count, IntegerField, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.services import Action, audit_record
from crm.models import Client, User
from crm.notifications import client_message

from .models import (
    Attendance,
    ClientRank,
    Discipline,
    Grading,
    GradingCandidate,
    Rank,
    RankHistory,
)
from .services import AcademyError

# BJJ's ladder (IBJJF adult belts), with a rule per step that academies commonly start from.
BJJ_LADDER = [
    ("белый", "#f5f5f5", 4, 24, 2),
    ("синий", "#1d4ed8", 4, 40, 4),
    ("фиолетовый", "#7e22ce", 4, 40, 4),
    ("коричневый", "#78350f", 4, 40, 3),
    ("чёрный", "#111111", 4, 0, 36),
]


def ranks_ensure_default(*, discipline: Discipline) -> int:
    """Give a discipline without a ladder the BJJ default (editable afterwards in admin)."""
    if discipline.ranks.exists():
        return 0
    Rank.objects.bulk_create(
        Rank(
            discipline=discipline,
            name=name,
            order=order,
            color=color,
            max_stripes=stripes,
            min_sessions=sessions,
            min_months=months,
        )
        for order, (name, color, stripes, sessions, months) in enumerate(BJJ_LADDER)
    )
    return len(BJJ_LADDER)


def months_between(start: date, end: date) -> int:
    months = (end.year - start.year) * 12 + end.month - start.month
    return months - (1 if end.day < start.day else 0)


@dataclass(frozen=True)
class Step:
    rank: Rank
    stripes: int


def next_step(*, current: ClientRank, ladder: list[Rank]) -> Step | None:
    """The next promotion from `current` (None at the top of the ladder)."""
    if current.stripes < current.rank.max_stripes:
        return Step(rank=current.rank, stripes=current.stripes + 1)
    higher = [r for r in ladder if r.order > current.rank.order]
    return Step(rank=higher[0], stripes=0) if higher else None


def step_label(rank: Rank, stripes: int) -> str:
    if not stripes:
        return _("%(rank)s belt") % {"rank": rank.name}
    return _("%(rank)s belt, %(stripes)s stripe(s)") % {"rank": rank.name, "stripes": stripes}


@transaction.atomic
def client_rank_set(
    *,
    client: Client,
    rank: Rank,
    stripes: int = 0,
    awarded_on: date | None = None,
    actor: User | None = None,
    grading: Grading | None = None,
) -> ClientRank:
    """Set a student's rank in its discipline and write the history row."""
    if stripes < 0 or stripes > rank.max_stripes:
        raise AcademyError(
            _("%(rank)s has at most %(max)s stripes.") % {"rank": rank, "max": rank.max_stripes}
        )
    awarded_on = awarded_on or timezone.localdate()
    current, _created = ClientRank.objects.select_for_update().update_or_create(
        client=client,
        discipline_id=rank.discipline_id,
        defaults={"rank": rank, "stripes": stripes, "since": awarded_on},
    )
    RankHistory.objects.create(
        client=client,
        discipline_id=rank.discipline_id,
        rank=rank,
        stripes=stripes,
        awarded_on=awarded_on,
        grading=grading,
        actor=actor,
    )
    return current


def rank_start_if_missing(*, client: Client, discipline_id: int, day: date) -> None:
    """A student's first visit in a discipline with a ladder puts them on its first rank."""
    if ClientRank.objects.filter(client=client, discipline_id=discipline_id).exists():
        return
    first = Rank.objects.filter(discipline_id=discipline_id).order_by("order").first()
    if first is not None:
        client_rank_set(client=client, rank=first, awarded_on=day)


@dataclass
class Eligibility:
    current: ClientRank
    sessions: int
    months: int
    step: Step | None
    eligible: bool


def ranks_with_progress(
    *, discipline: Discipline, user: User, today: date | None = None
) -> list[Eligibility]:
    """Every ranked student of a discipline with sessions and months since their last promotion and
    whether the rule lets them grade (two queries). A trainer sees the students of their sessions."""
    today = today or timezone.localdate()
    ladder = list(discipline.ranks.order_by("order"))
    visits = (
        Attendance.objects.filter(
            client_id=OuterRef("client_id"),
            session__discipline_id=discipline.pk,
            status__in=Attendance.VISITED,
            session_starts_at__date__gte=OuterRef("since"),
        )
        .order_by()
        .values("client_id")
        .annotate(n=Count("id"))
        .values("n")
    )
    rows: QuerySet[ClientRank] = (
        ClientRank.objects.filter(discipline=discipline, client__is_preview=False)
        .select_related("client", "rank")
        .annotate(sessions=Coalesce(Subquery(visits, output_field=IntegerField()), 0))
        .order_by("-rank__order", "-stripes", "client__last_name", "client__first_name")
    )
    if user.is_trainer:
        rows = rows.filter(
            Q(
                client__academy_attendances__session__trainer=user,
                client__academy_attendances__session__discipline=discipline,
            )
        ).distinct()
    result = []
    for current in rows:
        step = next_step(current=current, ladder=ladder)
        months = months_between(current.since, today)
        eligible = bool(
            step
            and current.sessions >= current.rank.min_sessions
            and months >= current.rank.min_months
        )
        result.append(
            Eligibility(
                current=current,
                sessions=current.sessions,
                months=months,
                step=step,
                eligible=eligible,
            )
        )
    return result


@transaction.atomic
def grading_create(
    *,
    discipline: Discipline,
    held_on: date,
    clients: list[Client],
    examiner: User | None,
    notes: str = "",
    today: date | None = None,
) -> Grading:
    """Plan a grading for the chosen students (each graded for their next step) and invite them."""
    today = today or timezone.localdate()
    if held_on < today:
        raise AcademyError(_("A grading cannot be planned in the past."))
    if not clients:
        raise AcademyError(_("Choose at least one candidate."))
    ladder = list(discipline.ranks.order_by("order"))
    currents = {
        r.client_id: r
        for r in ClientRank.objects.filter(
            discipline=discipline, client__in=clients
        ).select_related("rank")
    }
    grading = Grading.objects.create(
        discipline=discipline, held_on=held_on, examiner=examiner, notes=notes
    )
    for client in clients:
        current = currents.get(client.pk)
        step = next_step(current=current, ladder=ladder) if current else None
        if step is None:
            raise AcademyError(
                _("%(client)s has no next step in %(discipline)s.")
                % {"client": client, "discipline": discipline}
            )
        GradingCandidate.objects.create(
            grading=grading, client=client, target_rank=step.rank, target_stripes=step.stripes
        )
        client_message(
            client=client,
            text=_("You are invited to the %(discipline)s grading on %(day)s: %(step)s. Good luck!")
            % {
                "discipline": discipline,
                "day": held_on.strftime("%d.%m.%Y"),
                "step": step_label(step.rank, step.stripes),
            },
        )
    return grading


@transaction.atomic
def grading_record(
    *, grading: Grading, results: dict[int, tuple[str, str]], actor: User | None
) -> int:
    """Record each candidate's result (`{candidate_id: (result, notes)}`); the passed ones are
    promoted with a history row and everyone is told. Recording twice is refused."""
    locked = Grading.objects.select_for_update().get(pk=grading.pk)
    if locked.status == Grading.Status.DONE:
        raise AcademyError(_("The results of this grading are already recorded."))
    candidates = list(locked.candidates.select_related("client", "target_rank"))
    missing = [c for c in candidates if results.get(c.pk, ("",))[0] not in ("passed", "failed")]
    if missing:
        raise AcademyError(
            _("Choose passed or not passed for everyone: %(names)s.")
            % {"names": ", ".join(str(c.client) for c in missing)}
        )
    promoted = 0
    for candidate in candidates:
        result, notes = results[candidate.pk]
        candidate.result, candidate.notes = result, notes[:255]
        candidate.save(update_fields=["result", "notes"])
        if result == GradingCandidate.Result.PASSED:
            client_rank_set(
                client=candidate.client,
                rank=candidate.target_rank,
                stripes=candidate.target_stripes,
                awarded_on=locked.held_on,
                actor=actor,
                grading=locked,
            )
            promoted += 1
            text = _("Congratulations! You passed the grading: %(step)s. 🥋") % {
                "step": step_label(candidate.target_rank, candidate.target_stripes)
            }
        else:
            text = _(
                "Thank you for the grading. This time it was not a pass — keep training, "
                "your trainer will tell you what to work on."
            )
        if notes:
            text += " " + notes
        client_message(client=candidate.client, text=text)
    locked.status = Grading.Status.DONE
    locked.save(update_fields=["status"])
    audit_record(
        actor=actor,
        action=Action.ACADEMY_GRADING,
        obj=locked,
        note=", ".join(f"{c.client}: {c.get_result_display()}" for c in candidates)[:500],
    )
    return promoted
