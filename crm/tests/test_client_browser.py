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


@pytest.mark.parametrize("size", [(390, 844), (1366, 900)], ids=["phone", "laptop"])
def test_client_page_tabs_load_on_demand_deep_link_and_keep_the_page_short(page, login, size):
    """Each tab loads its own fragment (URL follows, back works); the overview does not grow with
    the history; screenshots of every tab go to /tmp (never committed)."""
    import random

    from crm.tests.factories import ClientActionFactory
    from payments import demo as payments_demo
    from pipeline.services import stages_ensure_defaults
    from programs import demo as programs_demo

    stages_ensure_defaults()
    trainer = TrainerFactory()
    person = ClientFactory(
        trainer=trainer, first_name="Вера", phone="+79160001234", telegram_username="vera_fit"
    )
    programs_demo.seed(clients=[person], rng=random.Random(1))
    payments_demo.seed(clients=[person], rng=random.Random(1))
    page.set_viewport_size({"width": size[0], "height": size[1]})
    login(trainer)
    page.goto(f"/clients/{person.pk}/")
    tabs = page.locator("#client-tabs")
    assert tabs.get_by_role("tab", name="Обзор").get_attribute("aria-selected") == "true"
    page.wait_for_selector("#stage-block")
    short = page.evaluate("document.documentElement.scrollHeight")

    ClientActionFactory.create_batch(40, client=person, author=trainer, description="Созвон")
    page.reload()
    page.wait_for_selector("#stage-block")
    assert page.evaluate("document.documentElement.scrollHeight") == short  # history is a tab
    assert page.locator("#timeline").count() == 0

    shown = {
        "История": "#timeline",
        "Прогресс": "#client-tab-panel >> text=Прогресс",
        "Программа": "#client-tab-panel >> text=Программы тренировок",
        "Оплаты": "#client-tab-panel >> text=Платежи",
        "Чат": "#client-tab-panel >> text=Чат в Telegram",
    }
    codes = {"История": "history", "Прогресс": "progress", "Программа": "program"}
    codes |= {"Оплаты": "payments", "Чат": "chat"}
    for name, selector in shown.items():
        tabs.get_by_role("tab", name=name).click()
        page.wait_for_url(f"**/clients/{person.pk}/?tab={codes[name]}")
        page.wait_for_selector(selector)
        assert tabs.get_by_role("tab", name=name).get_attribute("aria-selected") == "true"
        assert page.locator("#client-tabs [aria-selected=true]").count() == 1
        assert page.locator("#stage-block").count() == 0
        assert page.evaluate("document.documentElement.scrollWidth") <= size[0]
        page.screenshot(path=f"/tmp/client-tab-{codes[name]}-{size[0]}.png", full_page=True)
    assert page.locator("#timeline").count() == 0  # the chat tab replaced the history

    page.go_back()  # back to the payments tab
    page.wait_for_url(f"**/clients/{person.pk}/?tab=payments")
    page.wait_for_selector("#client-tab-panel >> text=Платежи")

    page.goto(f"/clients/{person.pk}/?tab=history")  # deep link
    assert "Созвон" in page.locator("#timeline").inner_text()
    assert tabs.get_by_role("tab", name="История").get_attribute("aria-selected") == "true"
    bar = page.locator("nav.action-bar")
    assert bar.is_visible() == (size[0] < 800)
    if bar.is_visible():  # "log a call" from another tab opens the overview at the form
        bar.get_by_role("link", name="Записать звонок").click()
        page.wait_for_selector("#action-block textarea[name=description]")
        assert page.locator("#action-block").is_visible()
    assert page.csp_violations == [] and page.js_errors == []
