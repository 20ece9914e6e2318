"""The trainer's roll call on a phone, in a real browser."""

from datetime import timedelta

import pytest
from django.utils import timezone

from academy import services
from academy.models import Attendance
from crm.tests.factories import ClientFactory

from .factories import MembershipFactory, SessionFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PHONE = {"width": 390, "height": 844}


def test_trainer_takes_the_roll_on_a_phone_one_tap_per_student(page, login):
    from pipeline.services import stages_ensure_defaults

    stages_ensure_defaults()
    session = SessionFactory(
        title="BJJ начинающие", starts_at=timezone.now() - timedelta(minutes=10), capacity=10
    )
    anna = MembershipFactory(client=ClientFactory(first_name="Анна", last_name="Волкова")).client
    boris = MembershipFactory(client=ClientFactory(first_name="Борис", last_name="Зуев")).client
    ClientFactory(first_name="Гость", last_name="Пришедший", trainer=None)
    MembershipFactory(client=ClientFactory(first_name="Вера", last_name="Лебедева", trainer=None))
    for student in (anna, boris):
        services.booking_create(
            session=session, client=student, now=session.starts_at - timedelta(hours=5)
        )

    page.set_viewport_size(PHONE)
    login(session.trainer)
    page.goto(f"/academy/sessions/{session.pk}/")

    assert page.locator("h1").inner_text() == "BJJ начинающие"
    counts = page.locator("#roll-counts")
    assert "Ожидается: 2" in counts.inner_text()
    anna_row = page.locator(f"#roll-{anna.pk}")
    anna_row.get_by_role("button", name="Пришёл", exact=True).click()
    page.wait_for_selector(f'#roll-{anna.pk} button.tap-present[aria-pressed="true"]')
    assert page.locator('[data-count="present"]').inner_text() == "1"
    page.locator(f"#roll-{boris.pk}").get_by_role("button", name="Опоздал").click()
    page.wait_for_selector(f'#roll-{boris.pk} button.tap-late[aria-pressed="true"]')
    assert page.locator('[data-count="late"]').inner_text() == "1"
    assert page.locator('[data-count="unmarked"]').inner_text() == "0"
    # A change of mind is one more tap.
    page.locator(f"#roll-{anna.pk}").get_by_role("button", name="Уважительная").click()
    page.wait_for_selector(f'#roll-{anna.pk} button.tap-excused[aria-pressed="true"]')
    assert page.locator('[data-count="present"]').inner_text() == "0"

    # A walk-in, found by name.
    page.fill("main input[name=q]", "Лебедев")  # the top bar has a search box too
    page.get_by_role("button", name="+ Вера Лебедева").click()
    page.wait_for_selector("text=Вера Лебедева добавлен(а) в перекличку.")
    assert "Ожидается: 3" in page.locator("#roll-counts").inner_text()

    statuses = dict(Attendance.objects.values_list("client__first_name", "status"))
    assert statuses == {"Анна": "excused", "Борис": "late", "Вера": "present"}
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    assert page.csp_violations == [] and page.js_errors == []


def test_the_week_is_a_day_list_on_a_phone(page, login):
    from pipeline.services import stages_ensure_defaults

    stages_ensure_defaults()
    session = SessionFactory(title="Грэпплинг", starts_at=timezone.now() + timedelta(hours=1))
    page.set_viewport_size(PHONE)
    login(session.trainer)
    page.goto(f"/academy/?week={timezone.localdate(session.starts_at).isoformat()}")

    days = page.locator(".week-day")
    assert days.count() == 7
    first, second = days.nth(0).bounding_box(), days.nth(1).bounding_box()
    assert second["y"] > first["y"] and abs(second["x"] - first["x"]) < 2  # stacked, not columns
    page.get_by_role("link", name="Грэпплинг").click()
    page.wait_for_url(f"**/academy/sessions/{session.pk}/")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    assert page.csp_violations == [] and page.js_errors == []
