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


def test_admin_sets_up_a_promotion_and_a_visitor_pays_its_price(page, login, settings, live_server):
    """The promotions page in a real browser: an admin builds "Утро будней" with its checkboxes and
    time pickers; a visitor's /pay/ then shows and charges the discounted price (studio time)."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    import time_machine

    from payments.models import Promotion

    stages_ensure_defaults()
    settings.DEBUG = True
    settings.YOOKASSA_SHOP_ID = ""  # the demo checkout
    settings.SITE_URL = live_server.url
    tariff = TariffFactory(name="Старт", price="1000.00", grants_paid_program=False)
    monday_morning = datetime(2026, 11, 30, 10, 0, tzinfo=ZoneInfo("Europe/Moscow"))

    with time_machine.travel(monday_morning, tick=True):  # the live server's clock too
        login(AdminFactory())
        page.goto("/payments/promotions/new/")
        page.fill("input[name=name]", "Утро будней")
        page.select_option("select[name=kind]", "percent")
        page.fill("input[name=value]", "20")
        page.check(f"input[name=tariffs][value='{tariff.pk}']")
        for day in range(7):  # a new promotion starts with every day ticked: weekdays only
            page.set_checked(f"input[name=weekdays][value='{day}']", day < 5)
        page.fill("input[name=time_to]", "16:00")
        page.click("main button[type=submit]")
        page.wait_for_url("**/payments/promotions/")
        listing = page.text_content("main")
        assert "Утро будней" in listing and "−20% по будням до 16:00" in listing
        promotion = Promotion.objects.get()
        assert promotion.weekdays == [0, 1, 2, 3, 4] and list(promotion.tariffs.all()) == [tariff]

        page.context.clear_cookies()
        page.goto("/pay/")
        offer = page.text_content("main")
        assert "−20% по будням до 16:00" in offer and "800" in offer.replace("\u202f", "")
        page.check(f"input[name=tariff][value='{tariff.pk}']")
        page.fill("input[name=name]", "Анна Петрова")
        page.fill("input[name=phone]", "+79161234567")
        page.click("button[type=submit]")
        page.wait_for_url("**/payments/demo/**")
        payment = Payment.objects.get()
        assert payment.amount == 800 and payment.promotion == promotion
    assert page.csp_violations == [] and page.js_errors == []
