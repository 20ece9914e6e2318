import io
from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from audit.models import Action, AuditEntry
from crm.models import User
from crm.tests.factories import AdminFactory, ClientFactory, TrainerFactory, UserFactory
from desk import services
from desk.reports import period_for, report_build
from payments.tests.factories import PaymentFactory

from .factories import OperatorFactory, desk_tariff

pytestmark = pytest.mark.django_db
D = Decimal
FORMULAS = ['=HYPERLINK("http://evil.example","x")', "+1", "@SUM(1)", "-2+3", "=1+1"]


def read(response) -> dict[str, list[tuple]]:
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    content = b"".join(response.streaming_content)
    book = load_workbook(io.BytesIO(content))
    return {sheet.title: list(sheet.iter_rows(values_only=True)) for sheet in book.worksheets}


def test_income_counts_money_once_and_by_method():
    operator = OperatorFactory()
    services.shift_open(operator=operator)
    person = ClientFactory(trainer=TrainerFactory(first_name="Анна", last_name="Тренер"))
    services.ledger_top_up(client=person, amount=D("1000"), method="cash", actor=operator)
    services.ledger_sell(
        client=person, tariff=desk_tariff("800", name="Разовое"), method="balance", actor=operator
    )
    services.ledger_sell(
        client=person, tariff=desk_tariff("500", name="Месяц"), method="card", actor=operator
    )
    services.ledger_sell(
        client=person, tariff=desk_tariff("300", name="Долг"), method="debt", actor=operator
    )
    services.ledger_repay(client=person, amount=D("100"), method="transfer", actor=operator)
    PaymentFactory(client=person, status="succeeded", paid_at=timezone.now(), amount=D("4990"))
    report = report_build(period=period_for(kind="day"))
    # cash 1000 (top-up), card 500 (sale), transfer 100 (repaid), YooKassa 4990; not the 800 from
    # the balance nor the 300 on credit — that money is counted when it comes in.
    assert report.income_total == D("6590")
    methods = dict(report.income_by_method)
    assert methods["Наличные"] == D("1000") and methods["Перевод (СБП)"] == D("100")
    assert methods["Карта (терминал)"] == D("500") and methods["ЮKassa"] == D("4990")
    tariffs = {name: (count, total) for name, count, total in report.sales_by_tariff}
    assert tariffs["Разовое"] == (1, D("800")) and tariffs["Долг"] == (1, D("300"))
    assert report.sales_by_trainer[0][0] == "Анна Тренер"


def test_money_and_clients_fall_on_the_local_day_around_midnight():
    """Moscow is UTC+3: 23:30 on the 1st is 20:30 UTC, 00:30 on the 2nd is 21:30 UTC on the 1st."""
    tz = timezone.get_current_timezone()
    late = timezone.make_aware(timezone.datetime(2026, 11, 1, 23, 30), tz)
    operator = OperatorFactory()
    with time_machine.travel(late - timedelta(hours=1), tick=False):
        services.shift_open(operator=operator)
    for when, amount in ((late, "100"), (late + timedelta(hours=1), "20")):
        person = ClientFactory(created_at=when)
        PaymentFactory(client=person, status="succeeded", paid_at=when, amount=D(amount))
        with time_machine.travel(when, tick=False):
            services.ledger_top_up(client=person, amount=D(amount), method="cash", actor=operator)
    period = period_for(
        kind="custom", start=late.date() - timedelta(days=1), end=late.date() + timedelta(days=1)
    )
    report = report_build(period=period)
    income = dict(report.income_by_day)
    assert [income[late.date() + timedelta(days=n)] for n in (-1, 0, 1)] == [0, 200, 40]
    new = dict(report.new_by_day)
    assert [new[late.date() + timedelta(days=n)] for n in (-1, 0, 1)] == [0, 1, 1]
    assert dict(report.income_by_method)["Наличные"] == D("120")


def test_sales_by_promotion():
    from payments.tests.factories import PromotionFactory

    operator = OperatorFactory()
    services.shift_open(operator=operator)
    tariff = desk_tariff("1000", name="Безлимит")
    PromotionFactory(name="Всегда −20%", weekdays=list(range(7)), time_to=None, tariffs=[tariff])
    for _n in range(2):
        services.ledger_sell(client=ClientFactory(), tariff=tariff, method="cash", actor=operator)
    services.ledger_sell(
        client=ClientFactory(), tariff=desk_tariff("500"), method="cash", actor=operator
    )
    report = report_build(period=period_for(kind="day"))
    assert report.sales_by_promotion == [("Всегда −20%", 2, D("1600"), D("400"))]


def test_active_and_new_clients_by_day():
    from payments.models import Subscription

    today = timezone.localdate()
    tariff = desk_tariff()
    a, b = ClientFactory(), ClientFactory()
    Subscription.objects.create(
        client=a,
        tariff=tariff,
        starts_on=today - timedelta(days=10),
        ends_on=today - timedelta(days=3),
    )
    Subscription.objects.create(
        client=b,
        tariff=tariff,
        starts_on=today - timedelta(days=4),
        ends_on=today + timedelta(days=30),
    )
    report = report_build(period=period_for(kind="week"))
    active = dict(report.active_by_day)
    assert active[today - timedelta(days=6)] == 1
    assert active[today - timedelta(days=4)] == 2
    assert active[today - timedelta(days=3)] == 2  # a's last day
    assert active[today - timedelta(days=2)] == 1
    assert report.new_total == 2


def test_report_queries_do_not_grow_with_data():
    def count() -> int:
        with CaptureQueriesContext(connection) as captured:
            report_build(period=period_for(kind="week"))
        return len(captured)

    operator = OperatorFactory()
    shift = services.shift_open(operator=operator)
    services.ledger_top_up(client=ClientFactory(), amount=D("5"), method="cash", actor=operator)
    small = count()
    for n in range(20):
        person = ClientFactory()
        services.ledger_top_up(client=person, amount=D("5"), method="card", actor=operator)
        PaymentFactory(client=person, status="succeeded", paid_at=timezone.now())
    services.shift_close(
        shift=shift, actor=operator, counted={"cash": D(5), "card": D(100), "transfer": D(0)}
    )
    assert count() == small


def test_report_page_for_read_only_with_custom_range_and_bad_ranges(client):
    client.force_login(UserFactory(role=User.Role.READ_ONLY))
    url = reverse("desk:reports")
    page = client.get(url, {"period": "custom", "start": "2026-11-01", "end": "2026-11-30"})
    assert page.status_code == 200 and "01.11.2026" in page.content.decode()
    assert "<svg" in page.content.decode()
    bad = client.get(url, {"period": "custom", "start": "2026-11-30", "end": "2026-11-01"})
    assert "заканчивается раньше" in bad.content.decode()
    huge = client.get(url, {"period": "custom", "start": "2020-01-01", "end": "2026-11-01"})
    assert "не длиннее года" in huge.content.decode()
    client.force_login(TrainerFactory())
    assert client.get(url).status_code == 403


def test_exports_keep_formulas_as_text(client):
    admin, operator = AdminFactory(), OperatorFactory()
    services.shift_open(operator=operator)
    people = [ClientFactory(first_name=text, notes=text, phone=None) for text in FORMULAS]
    for person in people:
        services.ledger_top_up(
            client=person, amount=D("10"), method="cash", actor=operator, reason="=1+2"
        )
    client.force_login(admin)
    sheets = read(client.get(reverse("desk:client-export")))
    rows = sheets["Клиенты"]
    assert rows[0][:3] == ("Имя", "Фамилия", "Телефон")
    names = {row[0] for row in rows[1:]}
    assert names == set(FORMULAS)
    ledger = read(client.get(reverse("desk:ledger-export"), {"period": "day"}))["Операции по счёту"]
    assert all(row[-1] == "=1+2" for row in ledger[1:]) and len(ledger) == 6
    # openpyxl reads a formula back as its text too, so check the cell type itself.
    content = b"".join(client.get(reverse("desk:client-export")).streaming_content)
    cell_types = {
        c.data_type
        for row in load_workbook(io.BytesIO(content)).active.iter_rows(min_row=2, max_col=1)
        for c in row
    }
    assert cell_types == {"s"}
    assert AuditEntry.objects.filter(action=Action.EXPORT, actor=admin).count() == 3


def test_client_export_follows_the_list_filters_and_scope(client):
    me = TrainerFactory()
    ClientFactory(trainer=me, first_name="Мой")
    ClientFactory(trainer=TrainerFactory(), first_name="Чужой")
    ClientFactory(trainer=me, first_name="Другой")
    client.force_login(me)
    rows = read(client.get(reverse("desk:client-export"), {"q": "мой"}))["Клиенты"]
    assert [row[0] for row in rows[1:]] == ["Мой"]
    rows = read(client.get(reverse("desk:client-export")))["Клиенты"]
    assert {row[0] for row in rows[1:]} == {"Мой", "Другой"}
    page = client.get(reverse("crm:client-list"), {"q": "мой"}).content.decode()
    assert "/clients/export.xlsx?q=" in page


def test_report_and_shift_exports(client):
    operator = OperatorFactory()
    with time_machine.travel(timezone.now() - timedelta(days=1)):
        shift = services.shift_open(operator=operator)
        services.ledger_top_up(
            client=ClientFactory(), amount=D("700"), method="cash", actor=operator
        )
        services.shift_close(
            shift=shift, actor=operator, counted={"cash": D("650"), "card": D(0), "transfer": D(0)}
        )
    client.force_login(AdminFactory())
    shifts = read(client.get(reverse("desk:shifts-export"), {"period": "week"}))["Смены"]
    assert shifts[1][4] == 700 and shifts[1][5] == 650 and shifts[1][11] == -50
    report = read(client.get(reverse("desk:report-export"), {"period": "week"}))
    assert report["Эффективность смен"][1][1:] == (1, 700, 0, -50)
    assert len(report["Доход по дням"]) == 8


def test_attendance_export_keeps_user_text_as_text_and_follows_the_period(client):
    from academy.models import Attendance
    from academy.tests.factories import SessionFactory

    coach = TrainerFactory(first_name="Олег", last_name="Тренер")
    now = timezone.now()
    recent = SessionFactory(title="=1+1", trainer=coach, starts_at=now - timedelta(hours=3))
    old = SessionFactory(trainer=coach, starts_at=now - timedelta(days=40))
    people = [ClientFactory(first_name=text, last_name="", phone=None) for text in FORMULAS]
    for n, person in enumerate(people):
        Attendance.objects.create(
            session=recent,
            client=person,
            status="late" if n == 0 else "present",
            walk_in=n == 1,
            session_starts_at=recent.starts_at,
        )
    Attendance.objects.create(
        session=old, client=people[0], status="absent", session_starts_at=old.starts_at
    )
    client.force_login(UserFactory(role=User.Role.READ_ONLY))
    response = client.get(reverse("desk:attendance-export"), {"period": "week"})
    rows = read(response)["Посещаемость"]
    assert rows[0][:7] == (
        "Занятие",
        "Группа",
        "Дисциплина",
        "Тренер",
        "Клиент",
        "Телефон",
        "Отметка",
    )
    assert len(rows) == 1 + len(FORMULAS)  # the 40-day-old session is outside the week
    assert {row[4] for row in rows[1:]} == set(FORMULAS)
    assert {row[1] for row in rows[1:]} == {"=1+1"} and rows[1][3] == "Олег Тренер"
    assert {row[6] for row in rows[1:]} == {"Опоздал", "Пришёл"}
    content = b"".join(client.get(reverse("desk:attendance-export")).streaming_content)
    sheet = load_workbook(io.BytesIO(content)).active
    assert {
        c.data_type for row in sheet.iter_rows(min_row=2, min_col=2, max_col=2) for c in row
    } == {"s"}
    page = client.get(reverse("desk:reports")).content.decode()
    assert reverse("desk:attendance-export") in page
    client.force_login(TrainerFactory())
    assert client.get(reverse("desk:attendance-export")).status_code == 403
