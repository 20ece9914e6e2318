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


def test_client_list_search_sort_and_create_with_duplicate_link(page, login):
    from crm.models import Client
    from pipeline.services import stages_ensure_defaults

    stages_ensure_defaults()
    trainer = TrainerFactory()
    anna = ClientFactory(
        trainer=trainer, first_name="Анна", last_name="Яковлева", phone="+79161112233"
    )
    ClientFactory(trainer=trainer, first_name="Борис", last_name="Абрамов")
    login(trainer)
    page.goto("/clients/")

    page.fill("input[name=q]", "анна")
    page.wait_for_function(
        "() => !document.querySelector('#client-results').textContent.includes('Абрамов')"
    )
    assert "Анна Яковлева" in page.locator("#client-results").inner_text()
    page.fill("input[name=q]", "")
    page.wait_for_function(
        "() => document.querySelector('#client-results').textContent.includes('Абрамов')"
    )
    page.locator("#client-results th a", has_text="Имя").click()
    page.wait_for_function(
        "() => document.querySelector('#client-results tbody tr td').textContent.includes('Абрамов')"
    )

    page.get_by_role("link", name="+ Новый клиент").click()
    page.fill("input[name=first_name]", "Анна")
    page.fill("input[name=phone]", "8 (916) 111-22-33")
    page.get_by_role("button", name="Добавить клиента").click()
    page.get_by_role("link", name="Открыть Анна Яковлева").click()
    page.wait_for_url(f"**/clients/{anna.pk}/")
    assert Client.objects.count() == 2
    assert page.csp_violations == [] and page.js_errors == []
