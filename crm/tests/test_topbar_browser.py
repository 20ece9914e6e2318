"""The top bar in a real browser, on a phone (390×844) and a laptop (1366×900)."""

import pytest

from crm.models import Client
from crm.tests.factories import ClientFactory, TrainerFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SIZES = [pytest.param((390, 844), id="phone"), pytest.param((1366, 900), id="laptop")]


@pytest.fixture
def trainer():
    from pipeline.services import stages_ensure_defaults

    stages_ensure_defaults()
    return TrainerFactory()


@pytest.mark.parametrize("size", SIZES)
def test_ctrl_k_search_as_you_type_and_keyboard_to_the_client(page, login, trainer, size):
    page.set_viewport_size({"width": size[0], "height": size[1]})
    alena = ClientFactory(trainer=trainer, first_name="Алёна", last_name="Семёнова")
    ClientFactory(trainer=trainer, first_name="Алексей", last_name="Иванов")
    login(trainer)

    page.keyboard.press("Control+k")
    assert page.evaluate("document.activeElement.id") == "top-search"
    page.keyboard.type("семенова")  # е for ё
    results = page.locator("#search-results")
    results.locator(".search-hit", has_text="Алёна Семёнова").wait_for()
    assert "Алексей" not in results.inner_text()
    assert page.locator("#top-search").get_attribute("aria-expanded") == "true"

    page.keyboard.press("ArrowDown")
    assert "Алёна Семёнова" in page.evaluate("document.activeElement.textContent")
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/clients/{alena.pk}/")
    assert page.evaluate("document.documentElement.scrollWidth") <= size[0]
    assert page.csp_violations == [] and page.js_errors == []


def test_escape_closes_results_and_enter_opens_the_full_page(page, login, trainer):
    ClientFactory(trainer=trainer, first_name="Ольга", last_name="Смирнова")
    login(trainer)
    page.click("#top-search")
    page.keyboard.type("ольга")
    page.locator("#search-results .search-hit").first.wait_for()
    page.keyboard.press("Escape")
    assert page.locator("#search-results").is_hidden()
    # With no dropdown open, Enter submits the form: the full results page.
    page.keyboard.press("Enter")
    page.wait_for_url("**/search/?q=*")
    assert "Ольга Смирнова" in page.locator(".search-page").inner_text()
    assert page.csp_violations == [] and page.js_errors == []


@pytest.mark.parametrize("size", SIZES)
def test_quick_add_a_lead_from_anywhere_and_find_a_duplicate(page, login, trainer, size):
    page.set_viewport_size({"width": size[0], "height": size[1]})
    existing = ClientFactory(trainer=trainer, first_name="Пётр", phone="+79165550011")
    login(trainer)
    page.goto("/clients/")
    # A phone has the floating button, a laptop the "+" in the top bar.
    opener = page.locator(".fab" if size[0] < 800 else ".topbar-add")
    assert opener.is_visible()
    opener.click()
    dialog = page.locator("dialog#quick-add")
    dialog.locator("input[name=name]").wait_for()
    assert dialog.is_visible()

    dialog.locator("input[name=name]").fill("Марина Котова")
    dialog.locator("input[name=contact]").fill("@marina_k")
    dialog.locator("select[name=source]").select_option("instagram")
    dialog.get_by_role("button", name="Добавить лид").click()
    dialog.locator(".alert-success").wait_for()
    new = Client.objects.get(telegram_username="marina_k")
    assert new.trainer_id == trainer.pk and new.source == "instagram"

    # Same phone again, written the domestic way: a link to the client we have, nothing created.
    dialog.locator("input[name=name]").fill("Пётр снова")
    dialog.locator("input[name=contact]").fill("8 916 555-00-11")
    dialog.get_by_role("button", name="Добавить лид").click()
    link = dialog.locator("a.duplicate-link")
    link.wait_for()
    assert link.get_attribute("href") == f"/clients/{existing.pk}/"
    assert Client.objects.filter(phone="+79165550011").count() == 1
    dialog.get_by_role("button", name="Закрыть").click()
    assert dialog.is_hidden()
    assert page.evaluate("document.documentElement.scrollWidth") <= size[0]
    assert page.csp_violations == [] and page.js_errors == []
