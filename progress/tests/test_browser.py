import os
from decimal import Decimal

import pytest

from crm.tests.factories import ClientFactory, TrainerFactory
from progress import services

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = os.environ.get("PROGRESS_SCREENSHOTS")  # a folder: save screenshots to look at


def weight_points(page) -> int:
    return page.locator('#charts figure[data-metric="weight"] g.point').count()


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
    # a tap on a point writes its value under the chart (a touch screen shows no tooltip)
    chest = page.locator('#charts figure[data-metric="chest"]')
    chest.locator("g.point").last.click()
    assert chest.locator(".chart-tip").inner_text().endswith(": 99\xa0см")
    chest.locator("g.point").first.click()
    assert chest.locator(".chart-tip").inner_text().endswith(": 100\xa0см")
    assert chest.locator("g.point.active").count() == 1
    assert page.csp_violations == [] and page.js_errors == []


def test_trainer_sets_a_target_uploads_and_deletes_a_photo(page, login, settings, tmp_path):
    from pipeline.services import stages_ensure_defaults

    from .factories import image_bytes

    settings.MEDIA_ROOT = tmp_path
    stages_ensure_defaults()
    trainer = TrainerFactory()
    client = ClientFactory(trainer=trainer)
    services.measurement_save(client=client, period="before", values={"weight": Decimal(80)})
    login(trainer)
    page.goto(f"/clients/{client.pk}/progress/")

    page.locator("#targets select[name=metric]").select_option("weight")
    page.locator("#targets input[name=value]").fill("72")
    page.locator("#targets").get_by_role("button", name="Задать цель").click()
    page.wait_for_selector("text=Цель сохранена.")
    assert "80 → 72 кг" in page.locator("#targets").inner_text()
    assert page.locator('#charts figure[data-metric="weight"] line[stroke-dasharray]').count() == 1

    photo = tmp_path / "front.jpg"
    photo.write_bytes(image_bytes())
    page.locator("#photos select[name=pose]").select_option("front")
    page.locator("#photos input[type=file]").set_input_files(str(photo))
    page.locator("#photos").get_by_role("button", name="Загрузить фото").click()
    page.locator("#photos img").scroll_into_view_if_needed()  # lazy-loaded
    for _ in range(50):  # wait_for_function evaluates strings, which the strict CSP forbids
        if page.evaluate("document.querySelector('#photos img').naturalWidth") == 30:
            break
        page.wait_for_timeout(100)
    assert page.evaluate("document.querySelector('#photos img').naturalWidth") == 30
    page.on("dialog", lambda dialog: dialog.accept())
    page.locator("#photos").get_by_role("button", name="Удалить").click()
    page.wait_for_selector("text=Фото удалено.")
    assert page.locator("#photos img").count() == 0
    assert page.csp_violations == [] and page.js_errors == []
