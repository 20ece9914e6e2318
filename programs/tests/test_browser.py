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


@pytest.mark.parametrize("size", [(390, 844), (1366, 900)], ids=["phone", "laptop"])
def test_weeks_are_tabs_and_a_day_is_a_compact_table(page, login, size):
    """One week at a time (URL follows, deep-linkable); the columns keep their widths on every
    day; the page stays a few screens tall. Screenshots go to /tmp (never committed)."""
    from pipeline.services import stages_ensure_defaults

    from .factories import small_content

    stages_ensure_defaults()
    trainer = TrainerFactory()
    program = TrainingProgramFactory(
        client=ClientFactory(trainer=trainer), weeks=12, content=small_content(weeks=12)
    )
    for week in program.content["weeks"]:  # four days a week, as the paid programs have
        week["days"] = [dict(week["days"][0], number=n) for n in range(1, 5)]
        for day in week["days"]:
            day["exercises"] = [
                dict(e, id=f"w{week['number']}d{day['number']}e{i}")
                for i, e in enumerate(day["exercises"] * 3, start=1)
            ]
    program.save(update_fields=["content"])
    page.set_viewport_size({"width": size[0], "height": size[1]})
    login(trainer)
    page.goto(f"/programs/{program.pk}/")
    tabs = page.locator("#week-tabs")
    assert (
        tabs.get_by_role("tab", name="Неделя 1", exact=True).get_attribute("aria-selected")
        == "true"
    )
    assert page.locator("#week-panel tr[id^=ex-]").count() == 4 * 6
    page.screenshot(path=f"/tmp/program-week1-{size[0]}.png", full_page=True)

    tabs.get_by_role("tab", name="Неделя 9", exact=True).click()
    page.wait_for_url(f"**/programs/{program.pk}/?week=9")
    page.wait_for_selector("#ex-w9d1e1")
    assert page.locator("#ex-w1d1e1").count() == 0
    assert (
        tabs.get_by_role("tab", name="Неделя 9", exact=True).get_attribute("aria-selected")
        == "true"
    )
    assert page.locator("#week-tabs [aria-selected=true]").count() == 1
    # stable columns: "sets × reps" starts at the same x on every day
    lefts = page.eval_on_selector_all(
        "#week-panel table.program-table", "ts => ts.map(t => t.rows[1].cells[1].offsetLeft)"
    )
    assert len(lefts) == 4 and len(set(lefts)) == 1
    height = page.evaluate("document.documentElement.scrollHeight")
    assert height < (6000 if size[0] < 800 else 3000), height
    assert page.evaluate("document.documentElement.scrollWidth") <= size[0]
    page.screenshot(path=f"/tmp/program-week9-{size[0]}.png", full_page=True)

    page.locator("#week-panel .week-pager").get_by_role("link", name="Неделя 10 →").click()
    page.wait_for_selector("#ex-w10d1e1")
    page.go_back()
    page.wait_for_url(f"**/programs/{program.pk}/?week=9")
    page.wait_for_selector("#ex-w9d1e1")

    page.locator("#ex-w9d2e1").get_by_role("link").first.click()  # edit inside a loaded week
    page.fill("#ex-w9d2e1 input[name=name]", "Выпады назад")
    page.locator("#ex-w9d2e1 button[type=submit]").click()
    # (the save queues the PDF rebuild; on a busy machine that answer can take a while)
    page.wait_for_selector("#ex-w9d2e1 >> text=Выпады назад", timeout=30_000)
    program.refresh_from_db()
    assert program.content["weeks"][8]["days"][1]["exercises"][0]["name"] == "Выпады назад"
    assert page.csp_violations == [] and page.js_errors == []
