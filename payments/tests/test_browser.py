import pytest

from crm.tests.factories import AdminFactory
from payments.models import Payment
from pipeline.services import stages_ensure_defaults

from .factories import TariffFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_visitor_pays_on_the_demo_checkout_and_staff_sees_it(page, login, settings, live_server):
    stages_ensure_defaults()
    settings.DEBUG = True
    settings.YOOKASSA_SHOP_ID = ""
    tariff = TariffFactory(name="Программа на 12 недель")
    settings.SITE_URL = live_server.url
    settings.YOOKASSA_RETURN_URL = f"{live_server.url}/pay/return/"

    page.goto("/pay/")
    page.check(f"input[name=tariff][value='{tariff.pk}']")
    page.fill("input[name=name]", "Анна Петрова")
    page.fill("input[name=phone]", "+79161234567")
    page.click("button[type=submit]")
    page.wait_for_url("**/payments/demo/**")
    assert "Демо" in page.content()
    # Tasks run eagerly in tests: the paid program's 12-week PDF renders inside this request
    # (~3 s on an idle machine, 8 s and more on a loaded one).
    page.click("button[value=pay]", timeout=60_000)
    page.wait_for_url("**/pay/return/", timeout=60_000)
    assert "Оплата получена" in page.text_content("main")
    assert Payment.objects.get().status == Payment.Status.SUCCEEDED

    login(AdminFactory())
    page.goto("/payments/")
    assert "Выручка по месяцам" in page.text_content("main")
    results = page.text_content("#payment-results")
    assert "4990" in "".join(ch for ch in results if not ch.isspace())  # ui money: 4 990 ₽
    page.select_option("select[name=status]", "canceled")
    page.locator("#payment-results", has_text="Нет платежей").wait_for()
    assert "status=canceled" in page.url  # hx-push-url keeps the filter in the address
    assert page.csp_violations == [] and page.js_errors == []
