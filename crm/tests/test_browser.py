import pytest
from django.utils import timezone

from crm.tests.factories import ClientFactory, TrainerFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_trainer_logs_in_sees_dashboard_and_marks_a_follow_up_done(page, login):
    from pipeline.services import stages_ensure_defaults

    stages_ensure_defaults()
    trainer = TrainerFactory()
    ClientFactory(
        trainer=trainer, first_name="Ирина", last_name="Петрова", next_contact_at=timezone.now()
    )

    login(trainer)
    page.goto("/overview/")  # a trainer's home is Today; the overview keeps the follow-up list

    assert page.locator("h1").inner_text() == "Панель"
    follow_ups = page.locator("#follow-ups")
    assert "Ирина Петрова" in follow_ups.inner_text()
    follow_ups.get_by_role("button", name="Готово").click()
    page.wait_for_selector("#follow-ups >> text=Нет запланированных контактов")
    assert page.locator("#follow-ups table").count() == 0
    assert "Контакт с клиентом Ирина Петрова выполнен." in page.locator("#follow-ups").inner_text()
    assert page.csp_violations == [] and page.js_errors == []


def test_phone_width_shows_menu_behind_toggle(page, login):
    page.set_viewport_size({"width": 360, "height": 740})
    login(TrainerFactory())

    assert not page.locator("nav.nav").is_visible()
    page.click("label.nav-toggle-label")
    assert page.locator("nav.nav").is_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 360


def test_recompute_now_is_a_button_that_brings_the_page_back_fresh(page, login):
    """The analytics page's stored numbers, recomputed by a click: the page comes back with the
    new "as of" time and a plain address (a reload does not recompute)."""
    import time_machine

    from crm.summaries import summaries_refresh
    from pipeline.services import stages_ensure_defaults

    stages_ensure_defaults()
    trainer = TrainerFactory()
    earlier = timezone.localtime().replace(hour=9, minute=5, second=0, microsecond=0)
    ClientFactory(trainer=trainer, source="vk_ads", created_at=earlier)
    with time_machine.travel(earlier, tick=False):
        summaries_refresh()
    ClientFactory(trainer=trainer, source="instagram", created_at=earlier)

    login(trainer)
    with time_machine.travel(earlier.replace(minute=15), tick=True):
        page.goto("/pipeline/analytics/")
        assert "Данные на 09:05" in page.locator(".summary-freshness").inner_text()
        page.get_by_role("button", name="Пересчитать сейчас").click()
        page.wait_for_selector(".summary-freshness >> text=Данные на 09:15")
    assert page.url.endswith("/pipeline/analytics/")
    assert "Instagram" in page.content()
    assert page.csp_violations == [] and page.js_errors == []
