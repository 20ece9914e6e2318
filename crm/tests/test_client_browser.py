import pytest

from crm.tests.factories import ClientFactory, TrainerFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


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

    page.fill("main input[name=q]", "анна")
    page.wait_for_function(
        "() => !document.querySelector('#client-results').textContent.includes('Абрамов')"
    )
    assert "Анна Яковлева" in page.locator("#client-results").inner_text()
    page.fill("main input[name=q]", "")
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


@pytest.mark.parametrize("size", [(390, 844), (1366, 900)], ids=["phone", "laptop"])
def test_client_header_calls_and_writes_and_a_phone_has_an_action_bar(page, login, size):
    from pipeline.services import stages_ensure_defaults

    stages_ensure_defaults()
    trainer = TrainerFactory()
    lead = ClientFactory(
        trainer=None, first_name="Вера", phone="+79160001234", telegram_username="vera_fit"
    )
    page.set_viewport_size({"width": size[0], "height": size[1]})
    login(trainer)
    page.goto(f"/clients/{lead.pk}/")

    header = page.locator("#client-header")
    assert (
        header.get_by_role("link", name="☎ Позвонить").get_attribute("href") == "tel:+79160001234"
    )
    assert (
        header.get_by_role("link", name="WhatsApp").get_attribute("href")
        == "https://wa.me/79160001234"
    )
    assert (
        header.get_by_role("link", name="Telegram").get_attribute("href") == "https://t.me/vera_fit"
    )
    bar = page.locator("nav.action-bar")
    assert bar.is_visible() == (size[0] < 800)

    header.get_by_role("button", name="Взять лида").click()
    page.wait_for_selector("#messages >> text=теперь ваш клиент")
    lead.refresh_from_db()
    assert lead.trainer == trainer
    assert page.evaluate("document.documentElement.scrollWidth") <= size[0]
    assert page.csp_violations == [] and page.js_errors == []
