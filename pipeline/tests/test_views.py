import json
import re
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from crm.demo import seed_clients
from crm.tests.factories import (
    AdminFactory,
    ClientFactory,
    OperatorFactory,
    ReadOnlyFactory,
    TrainerFactory,
    UserFactory,
    stage,
)
from pipeline.models import LostReason, PipelineStage, StageMove
from pipeline.services import stage_move

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def trainer():
    return TrainerFactory()


@pytest.fixture
def own(trainer):
    return ClientFactory(trainer=trainer, first_name="Ирина", last_name="Петрова")


@pytest.fixture
def other():
    return ClientFactory(trainer=TrainerFactory(), first_name="Чужой", last_name="Клиент")


def move_url(client):
    return reverse("pipeline:client-move", args=[client.pk])


# --- board ----------------------------------------------------------------------------------------


def test_board_shows_columns_in_order_with_counts_and_only_visible_cards(
    client, trainer, own, other
):
    client.force_login(trainer)

    response = client.get(reverse("pipeline:board"))

    body = response.content.decode()
    names = [c.stage.name for c in response.context["board"].columns]
    assert names == list(PipelineStage.objects.values_list("name", flat=True))
    assert "Ирина Петрова" in body and "Чужой Клиент" not in body
    assert response.context["board"].columns[0].count == 1


def test_board_filters_with_htmx_return_the_columns_only(client, trainer, own):
    # A surname no random name generator produces: the trainer's own name shows on the cards.
    ClientFactory(trainer=trainer, first_name="Борис", last_name="Неподходящий", source="website")
    client.force_login(trainer)

    response = client.get(
        reverse("pipeline:board"), {"q": "Ирина"}, HTTP_HX_TARGET="board-columns", **HTMX
    )

    body = response.content.decode()
    assert body.lstrip().startswith('<div id="board-columns"')
    assert "Ирина Петрова" in body and "Неподходящий" not in body


def test_show_more_loads_the_next_cards_of_a_column(client, trainer):
    ClientFactory.create_batch(22, trainer=trainer)
    client.force_login(trainer)
    first = stage("first_contact")

    board = client.get(reverse("pipeline:board")).content.decode()
    assert board.count('class="kanban-card') == 20
    assert reverse("pipeline:column", args=[first.pk]) + "?offset=20" in board

    more = client.get(reverse("pipeline:column", args=[first.pk]), {"offset": 20}, **HTMX)
    assert more.content.decode().count('class="kanban-card') == 2
    assert "Show more" not in more.content.decode() and "Показать ещё" not in more.content.decode()


def test_a_trainer_takes_an_unassigned_lead_from_its_card_with_the_form_it_shows(trainer):
    # The cards are Jinja2 (pipeline/jinja2/): the form must carry a real CSRF token and come back
    # to the board; a client that enforces CSRF checks proves it.
    lead = ClientFactory(trainer=None, first_name="<b>Ничей</b>", last_name="Лид")
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(trainer)

    board = browser.get(reverse("pipeline:board")).content.decode()

    card = board[board.index(f'id="card-{lead.pk}"') :]
    card = card[: card.index("</article>")]
    assert "&lt;b&gt;Ничей&lt;/b&gt; Лид" in card and "<b>Ничей" not in card
    form = re.search(r'<form method="post" action="([^"]+)" class="inline">(.*?)</form>', card)
    assert form and form[1] == reverse("crm:client-take", args=[lead.pk])
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form[2])[1]
    assert 'name="next" value="/pipeline/"' in form[2] and "Взять лида" in form[2]

    response = browser.post(form[1], {"csrfmiddlewaretoken": token, "next": "/pipeline/"})

    lead.refresh_from_db()
    assert (response.status_code, response["Location"]) == (302, "/pipeline/")
    assert lead.trainer == trainer


def test_an_admin_sees_the_trainer_on_cards_and_no_take_form(client, own):
    client.force_login(AdminFactory())

    board = client.get(reverse("pipeline:board")).content.decode()

    card = board[board.index(f'id="card-{own.pk}"') :]
    card = card[: card.index("</article>")]
    assert f"<li>{own.trainer}</li>" in card and "csrfmiddlewaretoken" not in card
    assert 'draggable="true"' in card and "Переместить…" in card


@pytest.mark.parametrize(("size", "as_admin"), [(5, False), (120, False), (5, True), (120, True)])
def test_board_query_count_does_not_grow(
    client, trainer, size, as_admin, django_assert_num_queries
):
    seed_clients(count=size, trainers=[trainer])
    client.force_login(AdminFactory() if as_admin else trainer)
    # session, user, stages, counts and paid sums, the cards' ids (a LIMIT per column in one
    # query), the cards; an admin's trainer filter lists the trainers
    with django_assert_num_queries(7 if as_admin else 6):
        response = client.get(reverse("pipeline:board"), {"source": "telegram"})
    assert response.status_code == 200


# --- moves ----------------------------------------------------------------------------------------


def test_button_or_drag_move_returns_the_card_in_its_new_column_and_fresh_counts(
    client, trainer, own
):
    client.force_login(trainer)
    consultation = stage("consultation")

    response = client.post(move_url(own), {"stage": consultation.pk}, **HTMX)

    body = response.content.decode()
    own.refresh_from_db()
    assert response.status_code == 200 and own.stage == consultation
    assert f'<div id="card-{own.pk}" hx-swap-oob="delete">' in body
    assert f'hx-swap-oob="afterbegin:#column-cards-{consultation.pk}"' in body
    assert (
        f'id="column-head-{consultation.pk}"' in body
        and f'id="column-head-{stage("first_contact").pk}"' in body
    )
    # the stage tabs (a phone's view of the columns) follow too
    tab = '<span class="tab-count" id="tab-count-{}" hx-swap-oob="true">{}</span>'
    assert tab.format(consultation.pk, 1) in body
    assert tab.format(stage("first_contact").pk, 0) in body
    move = StageMove.objects.get(client=own)
    assert (move.actor, move.event, move.to_stage) == (
        trainer,
        StageMove.Event.MANUAL,
        consultation,
    )


def test_modal_move_form_and_move_with_notes(client, trainer, own):
    client.force_login(trainer)

    modal = client.get(move_url(own), **HTMX)
    assert modal.status_code == 200 and 'name="notes"' in modal.content.decode()

    client.post(
        move_url(own),
        {"stage": stage("deciding").pk, "notes": "Думает до пятницы", "via": "modal"},
        **HTMX,
    )

    move = StageMove.objects.get(client=own)
    assert (move.to_stage.code, move.notes) == ("deciding", "Думает до пятницы")


def test_move_to_inactive_without_a_reason_is_refused_with_the_form_again(client, trainer, own):
    client.force_login(trainer)
    inactive = stage("inactive")

    modal = client.post(move_url(own), {"stage": inactive.pk, "via": "modal"}, **HTMX)
    drag = client.post(move_url(own), {"stage": inactive.pk}, **HTMX)

    own.refresh_from_db()
    assert own.stage.code == "first_contact"
    assert modal.status_code == 200 and 'name="lost_reason"' in modal.content.decode()
    assert drag.status_code == 422
    reason = LostReason.objects.get(name="Нет времени")
    client.post(
        move_url(own), {"stage": inactive.pk, "lost_reason": reason.pk, "via": "modal"}, **HTMX
    )
    own.refresh_from_db()
    assert own.stage == inactive and StageMove.objects.get(client=own).lost_reason == reason


def test_move_to_a_deleted_stage_says_so_and_changes_nothing(client, trainer, own):
    client.force_login(trainer)

    response = client.post(move_url(own), {"stage": 999999}, **HTMX)

    own.refresh_from_db()
    assert response.status_code == 422 and response.content.decode()
    assert own.stage.code == "first_contact" and not StageMove.objects.exists()


def test_move_without_htmx_redirects_to_the_board(client, trainer, own):
    client.force_login(trainer)
    response = client.post(move_url(own), {"stage": stage("consultation").pk})
    assert response.status_code == 302 and response.url == reverse("pipeline:board")
    assert client.get(move_url(own)).status_code == 200  # the modal's page for no-JS browsers


def test_another_trainers_client_cannot_be_seen_or_moved(client, trainer, other):
    client.force_login(trainer)

    assert client.get(move_url(other)).status_code == 404
    assert (
        client.post(move_url(other), {"stage": stage("consultation").pk}, **HTMX).status_code == 404
    )
    assert client.get(reverse("pipeline:client-history-api", args=[other.pk])).status_code == 404
    other.refresh_from_db()
    assert other.stage.code == "first_contact"


def test_read_only_cannot_move_anyone(client, own):
    client.force_login(ReadOnlyFactory())

    assert (
        client.post(move_url(own), {"stage": stage("consultation").pk}, **HTMX).status_code == 403
    )
    board = client.get(reverse("pipeline:board")).content.decode()
    assert 'draggable="true"' not in board and "Ирина Петрова" in board
    own.refresh_from_db()
    assert own.stage.code == "first_contact"


def test_operator_may_move_anyone(client, other):
    client.force_login(OperatorFactory())
    assert (
        client.post(move_url(other), {"stage": stage("consultation").pk}, **HTMX).status_code == 200
    )


# --- history API ----------------------------------------------------------------------------------


def test_history_api_returns_the_moves_as_json(client, trainer, own):
    stage_move(client=own, stage=stage("consultation"), actor=trainer, notes="Созвонились")
    client.force_login(trainer)

    response = client.get(f"/api/clients/{own.pk}/pipeline-history")

    data = json.loads(response.content)
    assert response["Content-Type"] == "application/json"
    assert data["client"]["id"] == own.pk
    [move] = data["moves"]
    assert move["from"] == "Первичный контакт" and move["to"] == "Консультация"
    assert (
        move["by"] == str(trainer) and move["source"] == "manual" and move["notes"] == "Созвонились"
    )
    assert move["event"] == "manual" and move["at"]


def test_history_api_needs_a_login(client, own):
    response = client.get(f"/api/clients/{own.pk}/pipeline-history")
    assert response.status_code == 401 and json.loads(response.content)["error"]


# --- stage settings -------------------------------------------------------------------------------


def test_stage_settings_page_lists_stages_with_client_counts(client, trainer, own):
    client.force_login(AdminFactory())
    response = client.get(reverse("pipeline:stages"))
    rows = {row["stage"].code: row["clients"] for row in response.context["rows"]}
    assert rows["first_contact"] == 1 and len(rows) == 7


def test_create_update_reorder_and_delete_stages_through_the_page(client, trainer):
    client.force_login(AdminFactory())

    client.post(
        reverse("pipeline:stage-create"),
        {"new-name": "Пробная", "new-color": "#ff0000", "new-expected_days": "4"},
        **HTMX,
    )
    created = PipelineStage.objects.get(name="Пробная")
    assert created.expected_days == 4 and PipelineStage.objects.last() == created

    client.post(
        reverse("pipeline:stage-update", args=[created.pk]),
        {
            f"s{created.pk}-name": "Пробное",
            f"s{created.pk}-color": "#00aa00",
            f"s{created.pk}-description": "Бесплатное занятие",
        },
        **HTMX,
    )
    created.refresh_from_db()
    assert (created.name, created.color, created.expected_days) == ("Пробное", "#00aa00", None)

    client.post(reverse("pipeline:stage-shift", args=[created.pk]), {"direction": "up"}, **HTMX)
    assert list(PipelineStage.objects.all())[-2] == created

    ids = list(PipelineStage.objects.values_list("pk", flat=True))
    client.post(
        reverse("pipeline:stage-reorder"),
        {"stage_ids": ",".join(map(str, [created.pk, *[i for i in ids if i != created.pk]]))},
        **HTMX,
    )
    assert PipelineStage.objects.first() == created

    response = client.post(reverse("pipeline:stage-delete", args=[created.pk]), **HTMX)
    assert response.status_code == 200 and not PipelineStage.objects.filter(pk=created.pk).exists()


def test_invalid_stage_values_show_errors_and_change_nothing(client, trainer):
    client.force_login(AdminFactory())
    consultation = stage("consultation")

    response = client.post(
        reverse("pipeline:stage-update", args=[consultation.pk]),
        {f"s{consultation.pk}-name": "", f"s{consultation.pk}-color": "красный"},
        **HTMX,
    )

    consultation.refresh_from_db()
    assert response.status_code == 200 and consultation.name == "Консультация"
    assert "field-error" in response.content.decode()


def test_deleting_a_stage_with_clients_or_a_system_stage_is_refused_with_a_message(client, trainer):
    client.force_login(AdminFactory())
    custom = PipelineStage.objects.create(name="Пауза", order=500)
    ClientFactory(trainer=trainer, stage=custom)

    with_clients = client.post(reverse("pipeline:stage-delete", args=[custom.pk]), follow=True)
    system = client.post(reverse("pipeline:stage-delete", args=[stage("active").pk]), follow=True)

    assert PipelineStage.objects.filter(pk=custom.pk).exists()
    assert PipelineStage.objects.filter(code="active").exists()
    assert "Пауза" in with_clients.content.decode()
    assert any("Активный клиент" in str(m) for m in system.context["messages"])


@pytest.mark.parametrize("role", ["read_only", "trainer", "operator"])
def test_only_admins_see_or_change_stage_settings(client, role):
    user = UserFactory(role=role)
    client.force_login(user)
    consultation = stage("consultation")

    assert "Настройки этапов" not in client.get(reverse("pipeline:board")).content.decode()
    assert client.get(reverse("pipeline:stages")).status_code == 403
    assert (
        client.post(
            reverse("pipeline:stage-create"), {"new-name": "X", "new-color": "#000000"}
        ).status_code
        == 403
    )
    assert (
        client.post(reverse("pipeline:stage-update", args=[consultation.pk]), {}).status_code == 403
    )
    assert client.post(reverse("pipeline:stage-delete", args=[consultation.pk])).status_code == 403
    assert client.post(reverse("pipeline:stage-shift", args=[consultation.pk])).status_code == 403
    assert client.post(reverse("pipeline:stage-reorder"), {"stage_ids": "1"}).status_code == 403
    assert not PipelineStage.objects.filter(name="X").exists()
    assert PipelineStage.objects.get(pk=consultation.pk).order == consultation.order
    client.force_login(AdminFactory())
    assert "Настройки этапов" in client.get(reverse("pipeline:board")).content.decode()


def test_unknown_stage_is_404(client, trainer):
    client.force_login(AdminFactory())
    assert client.post(reverse("pipeline:stage-update", args=[999999]), {}).status_code == 404
    assert client.get(reverse("pipeline:column", args=[999999]), **HTMX).status_code == 404


# --- analytics ------------------------------------------------------------------------------------


def test_analytics_page_draws_svg_charts_without_inline_styles(client, trainer):
    seed_clients(count=30, trainers=[trainer])
    client.force_login(trainer)

    response = client.get(reverse("pipeline:analytics"))

    body = response.content.decode()
    assert response.status_code == 200
    assert body.split("<main", 1)[1].count("<svg") == 6  # the top bar has its bell icon
    assert "style=" not in body and "<style" not in body
    assert client.get("/analytics/").url == reverse("pipeline:analytics")


def test_analytics_period_control_picks_the_range_and_refuses_a_wrong_one(client, trainer):
    ClientFactory(trainer=trainer, source="vk_ads", created_at=timezone.now() - timedelta(days=300))
    client.force_login(trainer)
    today = timezone.localdate()

    default = client.get(reverse("pipeline:analytics")).content.decode()
    assert f'value="{today - timedelta(days=89):%Y-%m-%d}"' in default
    assert "90 дней" in default and "ВКонтакте" not in default.split('id="sources"')[1]

    chosen = client.get(
        reverse("pipeline:analytics"),
        {"date_from": f"{today - timedelta(days=400):%Y-%m-%d}", "date_to": f"{today:%Y-%m-%d}"},
    ).content.decode()
    assert "401 день" in chosen and "ВКонтакте" in chosen.split('id="sources"')[1]

    backwards = client.get(
        reverse("pipeline:analytics"), {"date_from": f"{today:%Y-%m-%d}", "date_to": "2020-01-01"}
    )
    body = backwards.content.decode()
    assert backwards.status_code == 200
    assert "Период заканчивается раньше, чем начинается." in body
    assert "Показаны последние 90 дней." in body
    garbage = client.get(reverse("pipeline:analytics"), {"date_from": "вчера"})
    assert garbage.status_code == 200 and "Показаны последние 90 дней." in garbage.content.decode()


@pytest.mark.parametrize("size", [5, 120])
def test_analytics_query_count_does_not_grow(client, size, django_assert_num_queries):
    seed_clients(count=size, trainers=[TrainerFactory()])
    client.force_login(AdminFactory())
    # session, user, the summary (none stored yet), stages, per stage, leads per week, sources,
    # lost reasons, funnel, time in stage
    with django_assert_num_queries(10):
        client.get(reverse("pipeline:analytics"))
    with django_assert_num_queries(9):  # a longer period: the same queries
        client.get(reverse("pipeline:analytics"), {"date_from": "2025-06-01"})
