import pytest

from crm.tests.factories import ClientFactory, TrainerFactory
from programs.models import TrainingProgram

from .factories import TrainingProgramFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_trainer_edits_adds_and_removes_exercises_inline(page, login):
    from pipeline.services import stages_ensure_defaults

    stages_ensure_defaults()
    trainer = TrainerFactory()
    program = TrainingProgramFactory(client=ClientFactory(trainer=trainer, first_name="Лев"))

    login(trainer)
    page.goto(f"/programs/{program.pk}/")
    row = page.locator("#ex-w1d1e1")
    row.get_by_role("link").first.click()
    page.fill("#ex-w1d1e1 input[name=name]", "Жим ногами в тренажёре")
    page.fill("#ex-w1d1e1 input[name=sets]", "4")
    page.locator("#ex-w1d1e1 button[type=submit]").click()
    page.wait_for_selector("#ex-w1d1e1 >> text=Жим ногами в тренажёре")
    assert "4 × 8-10" in page.locator("#ex-w1d1e1").inner_text()
    assert page.locator("#ex-w1d1e1 input[name=name]").count() == 0  # a plain row again, no reload

    page.locator("#add-1-1 a").click()
    page.fill("#add-1-1 input[name=name]", "Планка на предплечьях")
    page.fill("#add-1-1 input[name=sets]", "3")
    page.fill("#add-1-1 input[name=reps]", "40 сек")
    page.locator("#add-1-1 button[type=submit]").click()
    page.wait_for_selector("text=Планка на предплечьях")

    page.once("dialog", lambda dialog: dialog.accept())
    page.locator("#ex-w1d1e2 button[type=submit]").click()
    page.wait_for_selector("#ex-w1d1e2", state="detached")

    program.refresh_from_db()
    names = [e["name"] for e in program.content["weeks"][0]["days"][0]["exercises"]]
    assert names == ["Жим ногами в тренажёре", "Планка на предплечьях"]
    assert TrainingProgram.objects.get(pk=program.pk).pdf_stale or program.pdf
    assert page.csp_violations == [] and page.js_errors == []

    page.goto("/programs/")
    page.fill("main input[name=q]", "Лев")
    page.wait_for_selector("#program-results >> text=Лев")
    assert page.csp_violations == [] and page.js_errors == []
