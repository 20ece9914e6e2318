import pytest

from automations.models import Rule
from automations.tests.factories import ConsentingClientFactory
from crm.tests.factories import TrainerFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_trainer_switches_a_rule_and_edits_it_with_a_live_preview(page, login):
    from automations.services import rules_ensure_defaults
    from pipeline.models import PipelineStage
    from pipeline.services import stages_ensure_defaults

    stages_ensure_defaults()
    rules_ensure_defaults()
    trainer = TrainerFactory()
    finished = PipelineStage.objects.get(code="finished")
    ConsentingClientFactory(
        trainer=trainer, first_name="Вера", last_name="Лебедева", stage=finished
    )
    rule = Rule.objects.get(code="finished-nps")

    login(trainer)
    page.click("nav >> text=Автоматизации")
    row = page.locator(f"#rule-{rule.pk}")
    assert "Спасибо и оценка (NPS)" in row.inner_text()
    row.get_by_role("button", name="Вкл.").click()
    page.wait_for_selector(f"#rule-{rule.pk} >> button:has-text('Выкл.')")
    rule.refresh_from_db()
    assert not rule.is_active
    page.locator(f"#rule-{rule.pk}").get_by_role("button", name="Выкл.").click()
    page.wait_for_selector(f"#rule-{rule.pk} >> button:has-text('Вкл.')")

    page.locator(f"#rule-{rule.pk} a", has_text="Спасибо и оценка").click()
    preview = page.locator("#preview")
    assert "Вера, программа завершена" in preview.inner_text()
    assert page.get_by_test_id("audience-count").inner_text() == "1"
    assert "Вера Лебедева" in preview.inner_text()

    message = page.locator("textarea[name=rule-message]")
    message.fill("{name}, спасибо! Оцените тренера {trainer}.")
    page.wait_for_selector(f"#preview >> text=Вера, спасибо! Оцените тренера {trainer}.")
    message.fill("{nmae}, спасибо!")
    page.wait_for_selector("#preview >> text=Неизвестная переменная {nmae}")
    message.fill("{name}, спасибо за работу!")
    page.wait_for_selector("#preview >> text=Вера, спасибо за работу!")
    page.get_by_role("button", name="Сохранить").click()
    page.wait_for_selector("text=Правило «Спасибо и оценка (NPS)» сохранено.")
    rule.refresh_from_db()
    assert rule.message == "{name}, спасибо за работу!"
    assert rule.buttons == ["nps"]  # untouched fields keep their values
    assert page.csp_violations == [] and page.js_errors == []
