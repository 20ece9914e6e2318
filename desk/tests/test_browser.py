import pytest

from crm.tests.factories import ClientFactory
from ui.formatting import format_money

from .factories import OperatorFactory, desk_tariff

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_operator_day_open_take_money_sell_on_credit_and_close(page, login):
    from pipeline.services import stages_ensure_defaults

    stages_ensure_defaults()
    operator = OperatorFactory()
    person = ClientFactory(first_name="Олег", last_name="Смирнов")
    tariff = desk_tariff("2000", name="Абонемент на месяц")  # the sell form shows its price
    login(operator)
    page.get_by_role("link", name="Смены").click()
    page.get_by_role("button", name="Открыть смену").click()
    assert "Смена открыта" in page.locator("#messages").inner_text()

    page.goto(f"/clients/{person.pk}/?tab=payments")
    top_up = page.locator("form[action$='/top-up/']")
    top_up.locator("input[name=amount]").fill("-5")
    top_up.get_by_role("button", name="Пополнить").click()
    assert "больше нуля" in page.locator("#messages").inner_text()
    top_up = page.locator("form[action$='/top-up/']")
    top_up.locator("input[name=amount]").fill("1 000")
    top_up.get_by_role("button", name="Пополнить").click()
    assert "зачислено" in page.locator("#messages").inner_text()

    sell = page.locator("form[action$='/sell/']")
    sell.locator("select[name=tariff]").select_option(
        label=f"{tariff.name} — {format_money(tariff.price)}"
    )
    sell.locator("select[name=method]").select_option("balance")
    sell.get_by_role("button", name="Продать", exact=True).click()
    assert "Недостаточно средств" in page.locator("#messages").inner_text()
    sell = page.locator("form[action$='/sell/']")
    sell.locator("select[name=tariff]").select_option(
        label=f"{tariff.name} — {format_money(tariff.price)}"
    )
    sell.locator("select[name=method]").select_option("debt")
    sell.get_by_role("button", name="Продать", exact=True).click()
    assert page.get_by_test_id("debt").inner_text() == "2\xa0000,00 ₽"
    assert page.get_by_test_id("balance").inner_text() == "1\xa0000,00 ₽"

    page.get_by_role("link", name="Смены").click()
    close = page.locator("form.shift-close")
    close.locator("input[name=counted_cash]").fill("990")
    close.locator("input[name=counted_card]").fill("0")
    close.locator("input[name=counted_transfer]").fill("0")
    page.once("dialog", lambda dialog: dialog.accept())
    close.get_by_role("button", name="Закрыть смену").click()
    page.wait_for_url("**/shifts/*/")
    money = page.locator("table.shift-money").inner_text()
    assert "-10,00 ₽" in money and "2\xa0000,00 ₽" in money
    assert "закрыта для изменений" in page.content()
    assert page.csp_violations == [] and page.js_errors == []
