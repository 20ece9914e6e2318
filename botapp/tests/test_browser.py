import pytest

from crm.tests.factories import TrainerFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_staff_walks_into_the_questionnaire_in_the_preview_without_a_token(page, login, settings):
    from pipeline.services import stages_ensure_defaults

    stages_ensure_defaults()
    settings.TELEGRAM_BOT_TOKEN = ""
    trainer = TrainerFactory()
    login(trainer)

    page.goto("/bot/preview/")
    assert "бот выключен" in page.locator("main").inner_text()
    page.fill("#preview-text", "/start")
    page.get_by_role("button", name="Отправить").click()
    page.get_by_role("button", name="🎁 Бесплатная программа").click()
    page.get_by_role("button", name="✅ Согласен(на)").click()
    page.wait_for_selector("#preview-chat >> text=Ваш пол?")
    page.get_by_role("button", name="Женский").click()
    page.wait_for_selector("#preview-chat >> text=Сколько вам лет?")
    page.fill("#preview-text", "двадцать")
    page.get_by_role("button", name="Отправить").click()
    page.wait_for_selector("#preview-chat >> text=Нужно число, например 30.")
    assert page.input_value("#preview-text") == ""  # cleared after sending
    assert page.csp_violations == [] and page.js_errors == []
