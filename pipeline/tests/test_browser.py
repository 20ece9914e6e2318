"""The board and the client page in Chromium: drag and drop, buttons, modal, dropdown, a phone."""

import pytest
from django.utils import timezone

from crm.tests.factories import AdminFactory, ClientFactory, TrainerFactory
from pipeline.models import PipelineStage, StageMove

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def stages():
    from pipeline.services import stages_ensure_defaults

    stages_ensure_defaults()
    return {s.code: s for s in PipelineStage.objects.all()}


@pytest.fixture
def trainer():
    return TrainerFactory()


def column(page, stage):
    return page.locator(f'section.column[data-stage-id="{stage.pk}"]')


def count(page, stage) -> str:
    return column(page, stage).locator(".column-count").inner_text()


def wider_than_screen(page) -> list[str]:
    return page.evaluate(
        """() => Array.from(document.querySelectorAll('body *'))
            .filter(e => e.getBoundingClientRect().right > window.innerWidth + 1)
            .slice(0, 5).map(e => e.tagName + '.' + e.className)"""
    )


def card_action(page, client, name):
    """Card actions sit behind the card's ⋯ menu."""
    card = page.locator(f"#card-{client.pk}")
    card.locator(".card-menu summary").click()
    card.get_by_role("button", name=name).click()


def clean(page):
    assert page.csp_violations == [] and page.js_errors == []


def test_drag_a_card_to_the_next_column(page, login, stages, trainer):
    ira = ClientFactory(
        trainer=trainer, first_name="Ирина", last_name="Петрова", stage=stages["first_contact"]
    )
    ClientFactory(trainer=trainer, stage=stages["first_contact"])
    login(trainer)
    page.goto("/pipeline/")
    assert (count(page, stages["first_contact"]), count(page, stages["consultation"])) == ("2", "0")

    page.drag_and_drop(
        f"#card-{ira.pk}",
        f'section.column[data-stage-id="{stages["consultation"].pk}"] .column-cards',
    )

    page.wait_for_function(
        "id => document.querySelector('#column-head-' + id + ' .column-count').textContent.trim() === '1'",
        arg=stages["consultation"].pk,
    )
    assert count(page, stages["first_contact"]) == "1"
    assert column(page, stages["consultation"]).locator(f"#card-{ira.pk}").is_visible()

    page.reload()
    assert column(page, stages["consultation"]).locator(f"#card-{ira.pk}").is_visible()
    move = StageMove.objects.get(client=ira)
    assert (move.to_stage_id, move.actor_id) == (stages["consultation"].pk, trainer.pk)

    page.click(f"#card-{ira.pk} .card-name")
    page.wait_for_url(f"**/clients/{ira.pk}/")
    page.locator("#client-tabs").get_by_role("tab", name="История").click()  # history is a tab
    assert "Первичный контакт → Консультация" in page.locator("#timeline").inner_text()
    clean(page)


def test_move_with_the_arrow_button_and_with_the_modal(page, login, stages, trainer):
    ira = ClientFactory(trainer=trainer, first_name="Ирина", stage=stages["consultation"])
    login(trainer)
    page.goto("/pipeline/")

    card_action(page, ira, "→ Принимают решение")
    page.wait_for_selector(
        f'section.column[data-stage-id="{stages["deciding"].pk}"] #card-{ira.pk}'
    )
    assert count(page, stages["deciding"]) == "1" and count(page, stages["consultation"]) == "0"
    assert "перемещён" in page.locator("#messages").inner_text()

    # Clicking the card body opens the modal: pick any stage and write a note.
    page.locator(f"#card-{ira.pk} .card-meta").click()
    modal = page.locator("#move-modal")
    modal.locator("select[name=stage]").select_option(str(stages["active"].pk))
    modal.locator("textarea[name=notes]").fill("Оплатил наличными")
    modal.get_by_role("button", name="Переместить").click()
    page.wait_for_selector(f'section.column[data-stage-id="{stages["active"].pk}"] #card-{ira.pk}')
    page.wait_for_function("() => !document.querySelector('#move-modal').open")
    assert StageMove.objects.filter(client=ira).order_by("-id")[0].notes == "Оплатил наличными"
    clean(page)


def test_dropping_on_inactive_asks_for_a_reason(page, login, stages, trainer):
    ira = ClientFactory(trainer=trainer, stage=stages["finished"])
    login(trainer)
    page.goto("/pipeline/")
    page.evaluate("document.querySelector('#board-columns').scrollLeft = 100000")

    page.drag_and_drop(
        f"#card-{ira.pk}", f'section.column[data-stage-id="{stages["inactive"].pk}"] .column-cards'
    )

    modal = page.locator("#move-modal")
    modal.wait_for()
    assert modal.locator(".lost-fields").is_visible()
    modal.get_by_role("button", name="Переместить").click()  # no reason: refused
    modal.locator(".field-error").wait_for()
    ira.refresh_from_db()
    assert ira.stage_id == stages["finished"].pk

    modal.locator("select[name=lost_reason]").select_option(label="Дорого")
    modal.get_by_role("button", name="Переместить").click()
    page.wait_for_selector(
        f'section.column[data-stage-id="{stages["inactive"].pk}"] #card-{ira.pk}'
    )
    assert StageMove.objects.get(client=ira).lost_reason.name == "Дорого"
    clean(page)


def test_a_refused_drag_puts_the_card_back(page, login, stages, trainer):
    ira = ClientFactory(trainer=trainer, stage=stages["first_contact"])
    login(trainer)
    page.goto("/pipeline/")
    ira.trainer = TrainerFactory()  # reassigned meanwhile: no longer this trainer's client
    ira.save()

    page.drag_and_drop(
        f"#card-{ira.pk}",
        f'section.column[data-stage-id="{stages["consultation"].pk}"] .column-cards',
    )

    page.locator("#messages .alert-error").wait_for()
    assert "больше нет на вашей доске" in page.locator("#messages").inner_text()
    assert column(page, stages["first_contact"]).locator(f"#card-{ira.pk}").is_visible()
    assert not StageMove.objects.filter(client=ira).exists()


def test_stage_dropdown_on_the_client_page_saves_at_once(page, login, stages, trainer):
    ira = ClientFactory(trainer=trainer, stage=stages["first_contact"], last_contact_at=None)
    login(trainer)
    page.goto(f"/clients/{ira.pk}/")

    page.locator("#stage-block select[name=stage]").select_option(str(stages["consultation"].pk))
    page.wait_for_function(
        "() => document.querySelector('#client-header').textContent.includes('Консультация')"
    )
    ira.refresh_from_db()
    assert ira.stage_id == stages["consultation"].pk

    # Log a call: the last contact updates without a reload, the history tab shows the call.
    page.locator("#action-block textarea[name=description]").fill("Созвонились, всё обсудили")
    page.locator("#action-block").get_by_role("button", name="Записать").click()
    page.wait_for_function("() => document.querySelector('#last-contact').textContent !== '—'")
    page.get_by_role("tab", name="История").click()
    page.wait_for_selector("#timeline >> text=Созвонились")
    assert "Консультация" in page.locator("#timeline").inner_text()
    page.get_by_role("tab", name="Обзор").click()
    page.wait_for_selector("#profile")

    # Inline profile edit.
    page.locator("#profile").get_by_role("link", name="Изменить").click()
    page.fill("input[name=profile-phone]", "8 (916) 765-43-21")
    page.locator("#profile").get_by_role("button", name="Сохранить").click()
    page.wait_for_function(
        "() => document.querySelector('#profile').textContent.includes('+79167654321')"
    )
    clean(page)


def test_phone_width_board_buttons_and_pages_fit(page, login, stages, trainer):
    page.set_viewport_size({"width": 360, "height": 740})
    ira = ClientFactory(
        trainer=trainer,
        first_name="Ирина",
        last_name="Константинопольская-Заречная",  # long names must wrap, not widen the page
        stage=stages["first_contact"],
        next_contact_at=timezone.now(),
    )
    login(trainer)

    page.goto("/pipeline/")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360  # the board scrolls inside
    first, consultation = stages["first_contact"].pk, stages["consultation"].pk
    assert page.locator(f"#tab-count-{first}").inner_text() == "1"
    card_action(page, ira, "→ Консультация")
    page.wait_for_selector(f'section.column[data-stage-id="{consultation}"] #card-{ira.pk}')
    # the stage tabs (a phone's way across the columns) count the move at once
    page.wait_for_selector(f"#tab-count-{consultation} >> text=1")
    assert page.locator(f"#tab-count-{first}").inner_text() == "0"

    for url in (
        "/clients/",
        f"/clients/{ira.pk}/",
        "/pipeline/analytics/",
        "/pipeline/stages/",
        "/",
    ):
        page.goto(url)
        assert page.evaluate("document.documentElement.scrollWidth") <= 360, (
            url,
            wider_than_screen(page),
        )
    clean(page)


def test_stage_settings_reorder_by_buttons_and_drag_and_refused_delete(
    page, login, stages, trainer
):
    ClientFactory(trainer=trainer, stage=stages["first_contact"])
    login(AdminFactory())
    page.set_viewport_size({"width": 1280, "height": 2600})  # drag source and target both on screen
    page.goto("/pipeline/stages/")

    new = page.locator("#stage-list section.card")
    new.locator("input[name=new-name]").fill("Пробная тренировка")
    new.get_by_role("button", name="Добавить этап").click()
    page.wait_for_selector(".stage-row h2:text('Пробная тренировка')")
    trial = PipelineStage.objects.get(name="Пробная тренировка")

    page.locator(f"#stage-{trial.pk}").get_by_role("button", name="Выше").click()
    page.wait_for_function(
        "id => document.querySelectorAll('.stage-row')[6].id === 'stage-' + id", arg=trial.pk
    )
    # The drop reorders the list at once and saves in the background: wait for the save.
    with page.expect_response(
        lambda r: r.request.method == "POST" and "/pipeline/stages/" in r.url
    ):
        page.drag_and_drop(f"#stage-{trial.pk} h2", f"#stage-{stages['consultation'].pk} h2")
    page.wait_for_function(
        "id => document.querySelectorAll('.stage-row')[1].id === 'stage-' + id", arg=trial.pk
    )
    assert list(PipelineStage.objects.values_list("pk", flat=True))[1] == trial.pk

    # A system stage has no delete button; a custom stage with a client is refused with a message.
    assert (
        page.locator(f"#stage-{stages['first_contact'].pk}")
        .get_by_role("button", name="Удалить")
        .count()
        == 0
    )
    ClientFactory(trainer=trainer, stage=trial)
    page.once("dialog", lambda dialog: dialog.accept())
    page.locator(f"#stage-{trial.pk}").get_by_role("button", name="Удалить").click()
    page.locator("#messages .alert-error").wait_for()
    assert "Пробная тренировка" in page.locator("#messages").inner_text()
    assert PipelineStage.objects.filter(pk=trial.pk).exists()
    clean(page)


@pytest.mark.parametrize("size", [(390, 844), (1366, 900)], ids=["phone", "laptop"])
def test_the_board_fits_the_window_whatever_the_number_of_cards(page, login, stages, trainer, size):
    """The page is the window: columns scroll on their own, the page never grows with cards."""
    page.set_viewport_size({"width": size[0], "height": size[1]})
    ClientFactory.create_batch(2, trainer=trainer, stage=stages["first_contact"])
    login(trainer)
    page.goto("/pipeline/")
    few = page.evaluate("document.scrollingElement.scrollHeight")

    ClientFactory.create_batch(45, trainer=trainer, stage=stages["first_contact"])
    ClientFactory.create_batch(12, trainer=trainer, stage=stages["inactive"])
    page.reload()
    many = page.evaluate("document.scrollingElement.scrollHeight")
    assert few == many == size[1]
    first = page.locator(f"#column-cards-{stages['first_contact'].pk}")
    assert first.evaluate("el => el.scrollHeight > el.clientHeight")  # the column scrolls itself
    head = page.locator(f"#column-head-{stages['first_contact'].pk}")
    top = head.bounding_box()["y"]
    first.evaluate("el => el.scrollTop = el.scrollHeight")
    assert head.bounding_box()["y"] == top and head.is_visible()  # the header stays put
    assert "47" in head.inner_text()

    if size[0] >= 1366:  # all seven columns on screen at once
        for column in page.locator("section.column").all():
            box = column.bounding_box()
            assert box["x"] >= 0 and box["x"] + box["width"] <= size[0] + 1
    else:  # a phone: stage tabs take you to a column
        page.locator(".stage-tabs a", has_text="Неактивен").click()
        inactive = page.locator(f"#column-{stages['inactive'].pk}")
        page.wait_for_function(
            "el => { const b = el.getBoundingClientRect(); return b.left >= -1 && b.left < 40; }",
            arg=inactive.element_handle(),
        )
    assert page.evaluate("document.documentElement.scrollWidth") <= size[0]
    clean(page)
