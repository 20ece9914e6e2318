import os
from decimal import Decimal

import pytest

from crm.tests.factories import ClientFactory, TrainerFactory
from progress import services

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = os.environ.get("PROGRESS_SCREENSHOTS")  # a folder: save screenshots to look at


def weight_points(page) -> int:
    return page.locator('#charts figure[data-metric="weight"] circle').count()


def test_trainer_adds_a_week_and_sees_the_chart_update(page, login):
    from pipeline.services import stages_ensure_defaults

    stages_ensure_defaults()
    trainer = TrainerFactory()
    client = ClientFactory(trainer=trainer, first_name="Ирина", last_name="Петрова", height_cm=168)
    services.measurement_save(
        client=client, period="before", values={"weight": Decimal(72), "waist": Decimal(84)}
    )
    page.set_viewport_size({"width": 360, "height": 800})
    login(trainer)
    page.goto(f"/clients/{client.pk}/progress/")
    assert weight_points(page) == 1

    form = page.locator("#entry-form form")
    assert form.locator("select[name=period]").input_value() == "week_1"
    form.locator("input[name=weight]").fill("70,5")
    form.locator("input[name=waist]").fill("82")
    form.get_by_role("button", name="Сохранить замеры").click()
    page.wait_for_selector("text=Замеры за период «Неделя 1» сохранены.")

    assert weight_points(page) == 2
    assert "70,5" in page.locator('#charts figure[data-metric="weight"]').inner_text()
    assert page.locator(".chart-comparison").count() == 1
    row = page.locator("table.journal-table tbody tr").first
    assert "−1,5" in row.inner_text() and row.locator(".delta.good").count() >= 1
    # The next blank form is for week 2 now.
    assert page.locator("#entry-form select[name=period]").input_value() == "week_2"
    # A wrong value is refused with a message and changes nothing.
    page.locator("#entry-form input[name=waist]").fill("5")
    page.locator("#entry-form").get_by_role("button", name="Сохранить замеры").click()
    page.wait_for_selector("text=Значение «Талия» должно быть от 40 до 200 см.")
    assert weight_points(page) == 2
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    if SHOTS:
        page.screenshot(path=f"{SHOTS}/progress-360.png", full_page=True)
        page.set_viewport_size({"width": 1280, "height": 900})
        page.screenshot(path=f"{SHOTS}/progress-1280.png", full_page=True)
    assert page.csp_violations == [] and page.js_errors == []


def test_choosing_chart_metrics_swaps_the_charts(page, login):
    from pipeline.services import stages_ensure_defaults

    stages_ensure_defaults()
    trainer = TrainerFactory()
    client = ClientFactory(trainer=trainer)
    for period, chest in (("before", 100), ("week_1", 99)):
        services.measurement_save(
            client=client, period=period, values={"weight": Decimal(80), "chest": Decimal(chest)}
        )
    login(trainer)
    page.goto(f"/clients/{client.pk}/progress/")
    assert page.locator('#charts figure[data-metric="chest"]').count() == 0
    page.locator("#charts input[value=chest]").check()
    page.wait_for_selector('#charts figure[data-metric="chest"]')
    assert page.csp_violations == [] and page.js_errors == []
