"""Today in a real browser: overdue first, done with an outcome and the next step, the badge."""

from datetime import timedelta

import pytest
from django.utils import timezone

from crm import services
from crm.models import Task
from crm.tests.factories import ClientFactory, TrainerFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("size", [(390, 844), (1366, 900)], ids=["phone", "laptop"])
def test_trainer_closes_an_overdue_call_with_the_next_step(page, login, size):
    from pipeline.services import stages_ensure_defaults

    stages_ensure_defaults()
    trainer = TrainerFactory()
    irina = ClientFactory(trainer=trainer, first_name="Ирина", last_name="Петрова")
    oleg = ClientFactory(trainer=trainer, first_name="Олег", last_name="Сидоров")
    now = timezone.now()
    overdue = services.task_create(client=irina, due_at=now - timedelta(hours=3), title="Позвонить")
    services.task_create(client=oleg, due_at=now + timedelta(minutes=30), kind=Task.Kind.MESSAGE)
    page.set_viewport_size({"width": size[0], "height": size[1]})
    login(trainer)

    groups = page.locator("#today-tasks .task-group h2").all_inner_texts()
    assert groups[0].startswith("Просрочено") and groups[1].startswith("На сегодня")
    # the overdue count sits next to "Сегодня" in the navigation; on a phone, where the
    # navigation folds behind ☰, in the top bar next to the bell
    badge = "#overdue-count" if size[0] >= 800 else "#overdue-top"
    page.locator(f"{badge}:not([hidden])").wait_for()
    assert page.locator(badge).is_visible() and page.locator(badge).inner_text() == "1"
    assert page.locator("#overdue-top").is_visible() == (size[0] < 800)

    row = page.locator(f"#task-{overdue.pk}")
    row.get_by_role("link", name="Готово").click()
    form = row.locator("form.task-done-form")
    form.wait_for()
    form.locator("select[name=outcome]").select_option("interested")
    form.locator("textarea[name=result]").fill("Готова начать с понедельника")
    form.locator("select[name=next_kind]").select_option("message")
    tomorrow = (timezone.localtime() + timedelta(days=1)).strftime("%Y-%m-%dT10:00")
    form.locator("input[name=next_due_at]").fill(tomorrow)
    form.get_by_role("button", name="Сохранить и закрыть задачу").click()

    page.wait_for_selector("#messages >> text=Выполнено")
    assert page.locator("#overdue-tasks").count() == 0
    overdue.refresh_from_db()
    assert overdue.outcome == "interested" and overdue.done_at is not None
    assert irina.tasks.filter(done_at__isnull=True, kind="message").count() == 1
    page.locator(f"{badge}[hidden]").wait_for(state="attached")
    assert page.evaluate("document.documentElement.scrollWidth") <= size[0]
    assert page.csp_violations == [] and page.js_errors == []
