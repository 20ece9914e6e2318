#!/usr/bin/env python
"""SQL query counts and latency of the academy's pages with N students and a year of attendance.

    DEBUG=1 python bench/academy.py 100 10000     # one run per size (default: 100 2000)
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/crm_bench DEBUG=1 python bench/academy.py 10000

Each size gets a throwaway database (a temporary SQLite file, or Django's `test_<name>` database on
PostgreSQL, dropped at the end): 8 group classes three times a week, N students spread over them as
regulars, each attending about 60% of their group's sessions for 52 weeks, a membership each, and
this week's bookings. The week calendar, today's roll call, a roll-call tap and the reports (8 weeks
and a whole year) are requested as an admin; the first request counts SQL queries, the next
`--repeat` give p50/p95 latency.
"""

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
_TMP = tempfile.TemporaryDirectory(prefix="crm-bench-")
os.environ.setdefault("DATABASE_URL", f"sqlite:///{_TMP.name}/bench.sqlite3")

import django  # noqa: E402

django.setup()

from django.db import connection, reset_queries  # noqa: E402
from django.test import Client as HttpClient  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402


def seed(students: int) -> dict:
    from datetime import datetime, timedelta
    from datetime import time as dtime
    from decimal import Decimal

    from django.db.models import Count, OuterRef, Subquery
    from django.db.models.functions import Coalesce
    from django.utils import timezone

    from academy.models import (
        Attendance,
        Discipline,
        Hall,
        Membership,
        MembershipPlan,
        Session,
        TrainingGroup,
    )
    from academy.services import booking_create, membership_plan_create
    from crm.models import Client, User
    from payments.models import Payment
    from pipeline.services import stages_ensure_defaults

    stages_ensure_defaults()
    rng = random.Random(students)
    tz = timezone.get_current_timezone()
    admin = User.objects.create_user("bench-admin", password="x", role=User.Role.ADMIN)
    trainer = User.objects.create_user("bench-trainer", password="x", role=User.Role.TRAINER)
    bjj = Discipline.objects.create(name="BJJ")
    groups = []
    for n in range(8):
        hall = Hall.objects.create(name=f"Зал {n}")
        groups.append(
            TrainingGroup.objects.create(
                title=f"Группа {n}",
                discipline=bjj,
                trainer=trainer,
                hall=hall,
                weekdays="024" if n % 2 else "135",
                start_time=dtime(10 + n, 0),
                capacity=500,
            )
        )
    clients = Client.objects.bulk_create(
        Client(first_name=f"Ученик{n}", last_name="Бенч", phone=f"+7998{n:07d}")
        for n in range(students)
    )
    plan = membership_plan_create(
        name="Безлимит",
        kind=MembershipPlan.Kind.UNLIMITED,
        price=Decimal("5000"),
        duration_days=400,
    )
    today = timezone.localdate()
    payments = Payment.objects.bulk_create(
        Payment(
            client=c,
            tariff=plan.tariff,
            amount=Decimal("5000"),
            provider="cash",
            status="succeeded",
            paid_at=timezone.now() - timedelta(days=370),
        )
        for c in clients
    )
    memberships = Membership.objects.bulk_create(
        Membership(
            client=c,
            plan=plan,
            payment=p,
            starts_on=today - timedelta(days=370),
            ends_on=today + timedelta(days=29),
        )
        for c, p in zip(clients, payments, strict=True)
    )
    membership_of = {m.client_id: m.pk for m in memberships}
    members: dict[int, list[Client]] = {g.pk: [] for g in groups}
    for client in clients:
        members[rng.choice(groups).pk].append(client)
    for group in groups:
        group.regulars.add(*members[group.pk])
    now = timezone.now()
    sessions = []
    for day in range(365, -8, -1):
        date = today - timedelta(days=day)
        for group in groups:
            if str(date.weekday()) in group.weekdays:
                starts = datetime.combine(date, group.start_time, tzinfo=tz)
                sessions.append(
                    Session(
                        group=group,
                        title=group.title,
                        discipline=bjj,
                        trainer=trainer,
                        hall=group.hall,
                        starts_at=starts,
                        ends_at=starts + timedelta(minutes=90),
                        capacity=group.capacity,
                    )
                )
    Session.objects.bulk_create(sessions)
    rows = []
    for session in Session.objects.filter(starts_at__lt=now - timedelta(hours=2)).iterator():
        for client in members[session.group_id]:
            roll = rng.random()
            if roll < 0.6:
                status = "present"
            elif roll < 0.7:
                status = "absent"
            else:
                continue
            rows.append(
                Attendance(
                    session=session,
                    client=client,
                    status=status,
                    session_starts_at=session.starts_at,
                    membership_id=membership_of[client.pk] if status == "present" else None,
                )
            )
            if len(rows) >= 20_000:
                Attendance.objects.bulk_create(rows)
                rows = []
    Attendance.objects.bulk_create(rows)
    visits = (
        Attendance.objects.filter(membership=OuterRef("pk"))
        .order_by()
        .values("membership")
        .annotate(n=Count("id"))
        .values("n")
    )
    Membership.objects.update(visits_used=Coalesce(Subquery(visits), 0))
    upcoming = Session.objects.filter(starts_at__gt=now).order_by("starts_at").first()
    for client in members[upcoming.group_id][:40]:
        booking_create(session=upcoming, client=client)
    today_session = (
        Session.objects.filter(starts_at__date=today, starts_at__lt=now)
        .order_by("starts_at")
        .last()
        or Session.objects.filter(starts_at__lt=now).order_by("starts_at").last()
    )
    return {
        "admin": admin,
        "session": today_session.pk,
        "tap_client": members[today_session.group_id][0].pk,
        "year_start": (today - timedelta(days=364)).isoformat(),
        "attendance": Attendance.objects.count(),
    }


def measure(http: HttpClient, method: str, url: str, repeat: int, data=None):
    reset_queries()
    call = getattr(http, method)
    with CaptureQueriesContext(connection) as queries:
        response = call(url, data or {}, headers={"HX-Request": "true"} if method == "post" else {})
    if response.status_code != 200:
        raise SystemExit(f"{url} answered {response.status_code}")
    timings = []
    for _ in range(repeat):
        started = time.perf_counter()
        call(url, data or {}, headers={"HX-Request": "true"} if method == "post" else {})
        timings.append((time.perf_counter() - started) * 1000)
    timings.sort()
    p95 = timings[min(len(timings) - 1, round(0.95 * (len(timings) - 1)))]
    return len(queries), statistics.median(timings), p95


def run(students: int, repeat: int) -> None:
    old_name = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        started = time.perf_counter()
        data = seed(students)
        print(
            f"\n{students} students, {data['attendance']} attendance rows "
            f"(seeded in {time.perf_counter() - started:.0f}s)"
        )
        http = HttpClient()
        http.force_login(data["admin"])
        pages = [
            ("week calendar", "get", "/academy/", None),
            ("roll call", "get", f"/academy/sessions/{data['session']}/", None),
            (
                "roll-call tap",
                "post",
                f"/academy/sessions/{data['session']}/mark/{data['tap_client']}/",
                {"status": "absent"},
            ),
            ("reports, 8 weeks", "get", "/academy/reports/", None),
            ("reports, a year", "get", f"/academy/reports/?start={data['year_start']}", None),
            ("ranks", "get", "/academy/ranks/", None),
        ]
        print(f"{'page':<20}{'queries':>8}{'p50 ms':>10}{'p95 ms':>10}")
        for name, method, url, body in pages:
            queries, p50, p95 = measure(http, method, url, repeat, body)
            print(f"{name:<20}{queries:>8}{p50:>10.1f}{p95:>10.1f}")
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("sizes", nargs="*", type=int, default=[100, 2000])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    from django.test.utils import setup_test_environment

    setup_test_environment()
    for size in args.sizes:
        run(size, args.repeat)


if __name__ == "__main__":
    main()
