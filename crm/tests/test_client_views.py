from datetime import datetime, timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from crm.demo import seed_clients
from crm.extensions import CLIENT_TABS
from crm.models import Client, ClientAction
from crm.tests.factories import (
    AdminFactory,
    ClientActionFactory,
    ClientContactFactory,
    ClientFactory,
    ReadOnlyFactory,
    TrainerFactory,
    stage,
)
from pipeline.models import LostReason, StageMove
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


# --- list -------------------------------------------------------------------------------------------


def test_list_shows_own_and_unassigned_clients_but_not_another_trainers(
    client, trainer, own, other
):
    unassigned = ClientFactory(trainer=None, first_name="Ничей")
    client.force_login(trainer)

    page = client.get(reverse("crm:client-list")).content.decode()

    assert "Ирина Петрова" in page and str(unassigned) in page
    assert "Чужой Клиент" not in page


def test_list_rows_show_each_client_and_mark_contacts_due_by_the_local_date(client, trainer):
    # 18:00 in Moscow on 1 December; 00:30 on the 2nd there is still the 1st in UTC.
    now = timezone.make_aware(datetime(2026, 12, 1, 18))
    due = ClientFactory(
        trainer=trainer, first_name="Срочная", next_contact_at=now + timedelta(hours=5)
    )
    later = ClientFactory(
        trainer=trainer,
        first_name="<i>Завтра</i>",
        phone="+79991234567",
        telegram_username="zavtra",
        source="website",
        next_contact_at=now + timedelta(hours=6, minutes=30),
    )
    client.force_login(trainer)

    with time_machine.travel(now, tick=False):
        page = client.get(reverse("crm:client-list")).content.decode()

    rows = {
        pk: page[page.index(f'href="/clients/{pk}/"') :].split("</tr>")[0]
        for pk in (due.pk, later.pk)
    }
    assert 'class="overdue">01.12.2026<' in rows[due.pk]
    assert 'class="">02.12.2026<' in rows[later.pk]
    assert "&lt;i&gt;Завтра&lt;/i&gt;" in rows[later.pk] and "<i>" not in rows[later.pk]
    assert '+79991234567<br><span class="muted">@zavtra</span>' in rows[later.pk]
    assert 'data-label="Источник">Форма на сайте<' in rows[later.pk]
    assert f'data-label="Тренер">{trainer}<' in rows[later.pk]


def test_list_search_filters_and_sort(client, trainer):
    client.force_login(trainer)
    a = ClientFactory(
        trainer=trainer, first_name="Анна", last_name="Борисова", phone="+79161112233"
    )
    b = ClientFactory(
        trainer=trainer,
        first_name="Олег",
        last_name="Андреев",
        telegram_username="oleg_fit",
        stage=stage("consultation"),
        source="vk_ads",
        next_contact_at=timezone.now() - timedelta(hours=1),
    )
    url = reverse("crm:client-list")

    def names(**params):
        response = client.get(url, params)
        return [c.pk for c in response.context["page"].object_list]

    assert names(q="анна") == [a.pk]  # case-insensitive, Cyrillic
    assert names(q="8 916 111") == [a.pk]  # phone typed with a leading 8
    assert names(q="@oleg") == [b.pk]
    assert names(stage=stage("consultation").pk) == [b.pk]
    assert names(source="vk_ads") == [b.pk]
    assert names(follow_up="on") == [b.pk]
    assert names(sort="name") == [b.pk, a.pk]
    assert names(sort="-name") == [a.pk, b.pk]
    assert names(created_from=(timezone.localdate() + timedelta(days=1)).isoformat()) == []


def test_list_paginates_by_fifty(client, trainer):
    ClientFactory.create_batch(51, trainer=trainer)
    client.force_login(trainer)

    first = client.get(reverse("crm:client-list"))
    second = client.get(reverse("crm:client-list"), {"page": 2})

    assert len(first.context["page"].object_list) == 50
    assert len(second.context["page"].object_list) == 1


@pytest.mark.parametrize("as_admin", [False, True])
def test_the_unfiltered_lists_total_comes_from_the_tally(client, trainer, as_admin):
    """Counting every client for the pager grew with the business; the tally already knows."""
    ClientFactory.create_batch(3, trainer=trainer)
    ClientFactory.create_batch(2, trainer=None, is_preview=True)
    ClientFactory(trainer=TrainerFactory(), first_name="Чужой")
    client.force_login(AdminFactory() if as_admin else trainer)
    url = reverse("crm:client-list")

    with CaptureQueriesContext(connection) as queries:
        page = client.get(url, {"sort": "name"}).context["page"]
    assert page.paginator.count == (6 if as_admin else 5) == len(page.object_list)
    assert not [q for q in queries if "COUNT(" in q["sql"] and '"crm_client"' in q["sql"]]
    filtered = client.get(url, {"q": "Чужой"}).context["page"]
    assert filtered.paginator.count == (1 if as_admin else 0)


def test_trainers_list_merges_own_and_unassigned_in_creation_order_across_pages(client, trainer):
    now = timezone.now()
    made = []
    for n in range(60):  # alternating owners, one minute apart; another trainer's in between
        owner = trainer if n % 3 == 0 else None if n % 3 == 1 else TrainerFactory()
        made.append(ClientFactory(trainer=owner, created_at=now - timedelta(minutes=n)))
    visible = [c.pk for c in made if c.trainer_id in (trainer.pk, None)]
    client.force_login(trainer)
    url = reverse("crm:client-list")

    def ids(**params):
        page = client.get(url, params).context["page"]
        return [c.pk for c in page.object_list], page.paginator.count

    assert ids() == (visible, 40)  # 40 fit on one page
    assert ids(sort="created") == (visible[::-1], 40)
    ClientFactory.create_batch(15, trainer=None, created_at=now - timedelta(days=1))
    first, count = ids()
    second, _ = ids(page=2)
    assert count == 55 and first[:40] == visible and len(first) == 50 and len(second) == 5
    assert len(set(first) | set(second)) == 55


def test_list_htmx_returns_only_the_results(client, trainer, own):
    client.force_login(trainer)
    response = client.get(
        reverse("crm:client-list"), {"q": "Ирина"}, HTTP_HX_TARGET="client-results", **HTMX
    )
    body = response.content.decode()
    assert body.lstrip().startswith('<section id="client-results"') and "Ирина Петрова" in body
    # A sort chosen by a column header is kept by the filter form (swapped out of band).
    sorted_ = client.get(
        reverse("crm:client-list"), {"sort": "-name"}, HTTP_HX_TARGET="client-results", **HTMX
    )
    assert 'id="sort-input" value="-name" hx-swap-oob="true"' in sorted_.content.decode()


@pytest.mark.parametrize(("size", "as_admin"), [(5, False), (80, False), (5, True), (80, True)])
def test_list_query_count_does_not_grow(client, trainer, size, as_admin, django_assert_num_queries):
    seed_clients(count=size, trainers=[trainer])
    client.force_login(AdminFactory() if as_admin else trainer)
    # session, user, count, page of clients (stage and trainer joined), stages for the filter;
    # an admin's trainer filter lists the trainers (one more)
    with django_assert_num_queries(6 if as_admin else 5):
        response = client.get(reverse("crm:client-list"), {"sort": "stage"})
    assert response.status_code == 200
    # The default order: a trainer's page counts its two sides (own, unassigned) in one query
    # and reads the page's ids (a LIMIT per side) before its rows: session, user, the count,
    # ids, rows, stages.
    with django_assert_num_queries(6):
        response = client.get(reverse("crm:client-list"))
    assert response.status_code == 200


# --- create -----------------------------------------------------------------------------------------


def test_create_client_by_hand(client, trainer):
    client.force_login(trainer)

    response = client.post(
        reverse("crm:client-create"),
        {
            "first_name": "Мария",
            "last_name": "Новая",
            "phone": "8 916 000 11 22",
            "source": "manual",
        },
    )

    new = Client.objects.get(phone="+79160001122")
    assert response.status_code == 302 and response.url == reverse(
        "crm:client-detail", args=[new.pk]
    )
    assert new.trainer == trainer and new.stage.code == "first_contact"


def test_create_duplicate_phone_links_to_the_existing_client(client, trainer, own):
    client.force_login(trainer)

    response = client.post(
        reverse("crm:client-create"),
        {"first_name": "Дубль", "phone": own.phone, "source": "manual"},
    )

    assert response.status_code == 422
    assert reverse("crm:client-detail", args=[own.pk]) in response.content.decode()
    assert Client.objects.filter(first_name="Дубль").count() == 0


def test_create_duplicate_of_another_trainers_client_names_it_without_a_link(
    client, trainer, other
):
    client.force_login(trainer)

    response = client.post(
        reverse("crm:client-create"),
        {"telegram_username": other.telegram_username, "source": "manual"},
    )

    body = response.content.decode()
    assert response.status_code == 422
    assert reverse("crm:client-detail", args=[other.pk]) not in body
    assert "Чужой Клиент" in body


def test_create_with_a_bad_phone_shows_the_error(client, trainer):
    client.force_login(trainer)
    response = client.post(
        reverse("crm:client-create"), {"first_name": "Х", "phone": "12", "source": "manual"}
    )
    assert response.status_code == 422 and response.context["form"].errors["phone"]


def test_read_only_cannot_create(client):
    client.force_login(ReadOnlyFactory())
    assert client.get(reverse("crm:client-create")).status_code == 403
    assert (
        client.post(
            reverse("crm:client-create"), {"first_name": "X", "source": "manual"}
        ).status_code
        == 403
    )
    assert not Client.objects.exists()


# --- client page --------------------------------------------------------------------------------------


def test_client_page_owner_sees_profile_and_a_merged_timeline(client, trainer, own):
    ClientActionFactory(client=own, description="Позвонил, договорились о встрече")
    ClientContactFactory(client=own, text="Хочу программу для дома")
    stage_move(client=own, stage=stage("consultation"), actor=trainer, notes="Записалась")
    client.force_login(trainer)

    response = client.get(reverse("crm:client-detail", args=[own.pk]) + "?tab=history")

    body = response.content.decode()
    assert response.status_code == 200
    timeline = [item.kind for item in response.context["timeline"]]
    assert set(timeline) == {"action", "contact", "stage"}
    assert "Позвонил, договорились о встрече" in body and "Хочу программу для дома" in body
    assert "Записалась" in body


def test_client_page_renders_sections_and_timeline_items_of_other_apps(
    client, trainer, own, monkeypatch
):
    from crm import extensions, views

    monkeypatch.setattr(
        views,
        "client_sections",
        lambda *, request, client, tab: [
            extensions.ClientSection(title="Программы", html=f"<p>Программа на 12 недель {tab}</p>")
        ],
    )
    monkeypatch.setattr(
        "crm.selectors.client_timeline",
        lambda *, client, limit: [
            extensions.TimelineItem(at=timezone.now(), kind="payment", title="Оплата 4 900 ₽")
        ],
    )
    client.force_login(trainer)

    body = client.get(reverse("crm:client-detail", args=[own.pk]) + "?tab=history").content.decode()

    assert "Программа на 12 недель history" in body and "Оплата 4 900 ₽" in body


def test_another_trainers_client_is_404_everywhere(client, trainer, other):
    client.force_login(trainer)
    pk = other.pk
    assert client.get(reverse("crm:client-detail", args=[pk])).status_code == 404
    assert (
        client.get(reverse("crm:client-section", args=[pk, "profile"]) + "?edit=1").status_code
        == 404
    )
    assert client.post(reverse("crm:client-section", args=[pk, "profile"]), {}).status_code == 404
    assert (
        client.post(
            reverse("pipeline:client-move", args=[pk]),
            {"stage": stage("deciding").pk, "via": "client"},
        ).status_code
        == 404
    )
    assert client.post(reverse("crm:client-action", args=[pk]), {"kind": "call"}).status_code == 404
    assert client.post(reverse("crm:client-task-create", args=[pk]), {}).status_code == 404
    other.refresh_from_db()
    assert other.stage.code == "first_contact" and not other.actions.exists()


def test_read_only_sees_the_client_page_but_changes_nothing(client, own):
    client.force_login(ReadOnlyFactory())
    pk = own.pk
    page = client.get(reverse("crm:client-detail", args=[pk]))
    assert page.status_code == 200 and 'name="stage"' not in page.content.decode()
    assert (
        client.get(reverse("crm:client-section", args=[pk, "profile"]) + "?edit=1").status_code
        == 403
    )
    assert client.post(reverse("crm:client-section", args=[pk, "profile"]), {}).status_code == 403
    assert (
        client.post(
            reverse("pipeline:client-move", args=[pk]),
            {"stage": stage("deciding").pk, "via": "client"},
        ).status_code
        == 403
    )
    assert client.post(reverse("crm:client-action", args=[pk]), {"kind": "call"}).status_code == 403
    assert client.post(reverse("crm:client-task-create", args=[pk]), {}).status_code == 403
    own.refresh_from_db()
    assert own.stage.code == "first_contact" and not own.actions.exists()


def test_inline_profile_edit(client, trainer, own):
    client.force_login(trainer)
    url = reverse("crm:client-section", args=[own.pk, "profile"])

    form = client.get(url + "?edit=1", **HTMX)
    assert 'name="profile-first_name"' in form.content.decode()

    response = client.post(
        url,
        {
            "profile-first_name": "Ирина",
            "profile-last_name": "Смирнова",
            "profile-phone": "8 (903) 111-22-33",
            "profile-telegram_username": "irina_s",
            "profile-email": "",
            "profile-source": "instagram",
            "profile-trainer": trainer.pk,
            "profile-notes": "Любит утренние тренировки",
        },
        **HTMX,
    )

    own.refresh_from_db()
    assert response.status_code == 200 and "Смирнова" in response.content.decode()
    assert (own.last_name, own.phone, own.source) == ("Смирнова", "+79031112233", "instagram")


def test_clearing_the_phone_is_not_a_database_error(client, trainer, own):
    own.phone, own.email = "+79031112233", "irina@example.com"
    own.save()
    client.force_login(trainer)
    data = {"profile-first_name": "Ирина", "profile-source": "manual", "profile-phone": ""}
    data["profile-email"] = "irina@example.com"

    response = client.post(reverse("crm:client-section", args=[own.pk, "profile"]), data, **HTMX)

    page = response.content.decode()
    assert "client_phone_not_empty" not in page and "Ограничение" not in page
    own.refresh_from_db()
    assert own.phone is None  # no phone: NULL, which the unique constraint allows for many


def test_inline_profile_edit_refuses_a_duplicate_phone(client, trainer, own):
    twin = ClientFactory(trainer=trainer, phone="+79035550000")
    client.force_login(trainer)

    response = client.post(
        reverse("crm:client-section", args=[own.pk, "profile"]),
        {"profile-first_name": "Ирина", "profile-phone": "89035550000", "profile-source": "manual"},
        **HTMX,
    )

    own.refresh_from_db()
    assert own.phone != "+79035550000"
    assert reverse("crm:client-detail", args=[twin.pk]) in response.content.decode()


def test_inline_questionnaire_edit_validates(client, trainer, own):
    client.force_login(trainer)
    url = reverse("crm:client-section", args=[own.pk, "questionnaire"])

    bad = client.post(url, {"questionnaire-age": "7"}, **HTMX)
    own.refresh_from_db()
    assert own.age is None and "questionnaire-age" in bad.content.decode()

    client.post(
        url,
        {
            "questionnaire-age": "31",
            "questionnaire-goal": "strength",
            "questionnaire-height_cm": "180",
        },
        **HTMX,
    )
    own.refresh_from_db()
    assert (own.age, own.goal, own.height_cm) == (31, "strength", 180)


def test_stage_dropdown_saves_at_once_through_the_pipeline_service(client, trainer, own):
    client.force_login(trainer)

    response = client.post(
        reverse("pipeline:client-move", args=[own.pk]),
        {"stage": stage("deciding").pk, "via": "client"},
        **HTMX,
    )

    own.refresh_from_db()
    assert response.status_code == 200 and own.stage.code == "deciding"
    move = StageMove.objects.get(client=own)
    assert (move.actor, move.event) == (trainer, StageMove.Event.MANUAL)
    header = response.content.decode().split('id="client-header" hx-swap-oob="true"')[1]
    assert header.split("</header>")[0].count("Принимают решение") == 1  # the header's stage


def test_stage_dropdown_to_inactive_asks_for_a_reason_first(client, trainer, own):
    client.force_login(trainer)
    url = reverse("pipeline:client-move", args=[own.pk])
    inactive = stage("inactive")

    asked = client.post(url, {"stage": inactive.pk, "via": "client"}, **HTMX)
    own.refresh_from_db()
    assert own.stage.code == "first_contact"
    assert 'name="lost_reason"' in asked.content.decode()
    assert "field-error" not in asked.content.decode()  # asked, not scolded
    scolded = client.post(url, {"stage": inactive.pk, "reason_asked": "1", "via": "client"}, **HTMX)
    assert "field-error" in scolded.content.decode()

    reason = LostReason.objects.get(name="Дорого")
    client.post(url, {"stage": inactive.pk, "lost_reason": reason.pk, "via": "client"}, **HTMX)
    own.refresh_from_db()
    assert own.stage.code == "inactive"
    assert StageMove.objects.get(client=own).lost_reason == reason


def test_log_an_action_updates_last_contact_and_timeline(client, trainer, own):
    client.force_login(trainer)
    tomorrow = timezone.localdate() + timedelta(days=1)

    response = client.post(
        reverse("crm:client-action", args=[own.pk]),
        {"kind": "call", "description": "Обсудили цели", "next_contact_date": tomorrow.isoformat()},
        **HTMX,
    )

    own.refresh_from_db()
    action = ClientAction.objects.get(client=own)
    assert (action.kind, action.author) == ("call", trainer)
    assert own.last_contact_at is not None
    assert timezone.localtime(own.next_contact_at).date() == tomorrow
    # the header and the task list follow out of band; the history tab shows the call
    body = response.content.decode()
    assert 'id="client-header" hx-swap-oob="true"' in body
    assert 'id="next-contact-block" hx-swap-oob="true"' in body
    history = client.get(reverse("crm:client-tab", args=[own.pk, "history"]), **HTMX)
    assert "Обсудили цели" in history.content.decode()


def test_log_an_action_in_the_future_is_refused(client, trainer, own):
    client.force_login(trainer)
    later = timezone.localtime() + timedelta(days=2)
    response = client.post(
        reverse("crm:client-action", args=[own.pk]),
        {"kind": "call", "happened_at": later.strftime("%Y-%m-%dT%H:%M")},
        **HTMX,
    )
    assert response.status_code == 200 and not own.actions.exists()


def test_the_next_contact_is_the_earliest_open_task(client, trainer, own):
    client.force_login(trainer)
    url = reverse("crm:client-task-create", args=[own.pk])
    later = (timezone.localtime() + timedelta(days=3)).replace(second=0, microsecond=0)
    sooner = later - timedelta(days=2)

    client.post(url, {"kind": "call", "due_at": later.strftime("%Y-%m-%dT%H:%M")}, **HTMX)
    response = client.post(
        url,
        {"kind": "meeting", "due_at": sooner.strftime("%Y-%m-%dT%H:%M"), "title": "Пробная"},
        **HTMX,
    )
    own.refresh_from_db()
    assert own.next_contact_at == sooner
    assert "Пробная" in response.content.decode()
    assert list(own.tasks.values_list("assignee", flat=True)) == [trainer.pk, trainer.pk]

    # Done with the sooner one: the next contact moves to the later task by itself.
    sooner_task = own.tasks.get(title="Пробная")
    client.post(reverse("crm:task-done", args=[sooner_task.pk]), {"outcome": "reached"})
    own.refresh_from_db()
    assert own.next_contact_at == later


def test_a_task_in_the_past_is_refused(client, trainer, own):
    client.force_login(trainer)
    past = timezone.localtime() - timedelta(days=3)
    response = client.post(
        reverse("crm:client-task-create", args=[own.pk]),
        {"kind": "call", "due_at": past.strftime("%Y-%m-%dT%H:%M")},
        **HTMX,
    )
    own.refresh_from_db()
    assert own.next_contact_at is None and not own.tasks.exists()
    assert "не может быть в прошлом" in response.content.decode()


def _long_history(own, trainer, history):
    ClientActionFactory.create_batch(history, client=own, author=trainer)
    ClientContactFactory.create_batch(history, client=own)
    for _ in range(history // 2):
        stage_move(client=own, stage=stage("consultation"), actor=trainer)
        stage_move(client=own, stage=stage("first_contact"), actor=trainer)
    seed_clients(count=history, trainers=[trainer])


# session, user, client, open tasks (the header's next task) + what the tab itself shows
OWN_TAB_QUERIES = {"overview": 2, "history": 3}  # stages + lost reasons; actions + contacts + moves


@pytest.mark.parametrize("history", [2, 120])
@pytest.mark.parametrize("tab", CLIENT_TABS)
def test_client_page_own_query_count_does_not_grow(
    client, trainer, history, tab, django_assert_num_queries, monkeypatch
):
    """crm's own part of each tab, without the blocks other apps add: the page and the fragment."""
    monkeypatch.setattr("crm.views.client_sections", lambda *, request, client, tab: [])
    monkeypatch.setattr("crm.selectors.client_timeline", lambda *, client, limit: [])
    own = ClientFactory(trainer=trainer)
    _long_history(own, trainer, history)
    client.force_login(trainer)
    with django_assert_num_queries(4 + OWN_TAB_QUERIES.get(tab, 0)):
        response = client.get(reverse("crm:client-detail", args=[own.pk]) + f"?tab={tab}")
    assert response.context["tab"] == tab
    if tab == "history":
        assert len(response.context["timeline"]) == min(3 * history, 50)
    # the fragment: no header, so the open tasks only where the overview lists them
    with django_assert_num_queries(3 + OWN_TAB_QUERIES.get(tab, 0) + (tab == "overview")):
        client.get(reverse("crm:client-tab", args=[own.pk, tab]), **HTMX)


def _other_apps_history(own):
    """What every other app's demo gives a client: programs, payments, progress, chat…"""
    import random
    from importlib import import_module
    from importlib.util import find_spec

    from django.apps import apps

    for config in apps.get_app_configs():
        name = f"{config.name}.demo"
        if config.name != "crm" and find_spec(name) is not None:
            import_module(name).seed(clients=[own], rng=random.Random(config.name))


@pytest.mark.parametrize("tab", CLIENT_TABS)
def test_each_tab_with_other_apps_blocks_keeps_a_constant_query_count(
    client, trainer, tab, django_assert_num_queries
):
    own = ClientFactory(trainer=trainer)
    client.force_login(trainer)
    page = reverse("crm:client-detail", args=[own.pk]) + f"?tab={tab}"
    fragment = reverse("crm:client-tab", args=[own.pk, tab])
    with CaptureQueriesContext(connection) as small_page:
        client.get(page)
    with CaptureQueriesContext(connection) as small_fragment:
        client.get(fragment, **HTMX)
    _long_history(own, trainer, 120)
    _other_apps_history(own)
    with django_assert_num_queries(len(small_page.captured_queries)):
        client.get(page)
    with django_assert_num_queries(len(small_fragment.captured_queries)):
        client.get(fragment, **HTMX)


def test_tabs_load_on_demand_with_only_their_own_blocks(client, trainer, own):
    client.force_login(trainer)
    overview = client.get(reverse("crm:client-detail", args=[own.pk])).content.decode()
    assert 'id="stage-block"' in overview and 'id="timeline"' not in overview
    panel = overview.split('id="client-tab-panel"')[1].split("action-bar")[0]
    assert ">Платежи<" not in panel and ">Чат в Telegram<" not in panel
    for tab, own_block in (
        ("history", 'id="timeline"'),
        ("payments", ">Платежи<"),
        ("chat", ">Чат в Telegram<"),
    ):
        fragment = client.get(reverse("crm:client-tab", args=[own.pk, tab]), **HTMX)
        body = fragment.content.decode()
        assert fragment.status_code == 200 and "<html" not in body
        assert own_block in body and 'id="stage-block"' not in body
        # the tab bar follows out of band, this tab selected
        assert 'id="client-tabs"' in body and 'hx-swap-oob="true"' in body
        assert f'id="tab-{tab}" href' in body
        assert body.split(f'id="tab-{tab}"')[1].split(">")[0].count('aria-selected="true"') == 1


def test_a_tab_opened_without_htmx_is_the_whole_page_on_that_tab(client, trainer, own):
    client.force_login(trainer)
    response = client.get(reverse("crm:client-tab", args=[own.pk, "payments"]))
    url = reverse("crm:client-detail", args=[own.pk])
    assert response.status_code == 302 and response["Location"] == f"{url}?tab=payments"
    page = client.get(response["Location"])
    assert page.context["tab"] == "payments" and ">Платежи<" in page.content.decode()
    # an unknown ?tab= falls back to the overview, an unknown fragment is 404
    assert client.get(f"{url}?tab=nope").context["tab"] == "overview"
    assert client.get(reverse("crm:client-tab", args=[own.pk, "nope"]), **HTMX).status_code == 404


def test_another_trainers_client_tabs_are_404(client, trainer, other):
    client.force_login(trainer)
    for tab in CLIENT_TABS:
        assert (
            client.get(reverse("crm:client-tab", args=[other.pk, tab]), **HTMX).status_code == 404
        )


# --- dashboard ----------------------------------------------------------------------------------------


def test_dashboard_lists_stale_clients(client, trainer):
    stuck = ClientFactory(
        trainer=trainer,
        stage=stage("consultation"),
        stage_changed_at=timezone.now() - timedelta(days=10),
    )
    fresh = ClientFactory(
        trainer=trainer, stage=stage("consultation"), stage_changed_at=timezone.now()
    )
    client.force_login(trainer)

    response = client.get(reverse("crm:overview"))

    assert response.context["dashboard"].stale == [stuck]
    assert fresh not in response.context["dashboard"].stale
    older = ClientFactory(
        trainer=trainer,
        stage=stage("first_contact"),
        stage_changed_at=timezone.now() - timedelta(days=30),
    )
    dashboard = client.get(reverse("crm:overview")).context["dashboard"]
    assert dashboard.stale == [older, stuck] and dashboard.stale_total == 2  # oldest first


@pytest.mark.parametrize("size", [5, 80])
def test_dashboard_query_count_does_not_grow(client, size, django_assert_num_queries):
    admin = AdminFactory()
    seed_clients(count=size, trainers=[TrainerFactory()])
    client.force_login(admin)
    # the stale clients: their ids (the oldest few of each stage, merged) then their rows
    with django_assert_num_queries(11):
        client.get(reverse("crm:dashboard"))


@pytest.mark.parametrize("born", ["0001-01-01", "1800-05-05", "2099-01-01"])
def test_birth_dates_outside_1900_to_today_are_refused(client, trainer, own, born):
    client.force_login(trainer)
    url = reverse("crm:client-section", args=[own.pk, "questionnaire"])

    response = client.post(url, {"questionnaire-birth_date": born}, **HTMX)

    own.refresh_from_db()
    assert own.birth_date is None
    assert "между 1900 годом и сегодняшним днём" in response.content.decode()


@pytest.mark.parametrize("weight", ["1e2", "NaN", "Infinity", "7_0"])
def test_weight_must_be_a_plain_number(client, trainer, own, weight):
    client.force_login(trainer)
    url = reverse("crm:client-section", args=[own.pk, "questionnaire"])

    response = client.post(url, {"questionnaire-weight_kg": weight}, **HTMX)

    own.refresh_from_db()
    assert own.weight_kg is None
    assert "Введите обычное число" in response.content.decode()
    client.post(url, {"questionnaire-weight_kg": "72,5"}, **HTMX)
    own.refresh_from_db()
    assert str(own.weight_kg) == "72.5"


def test_notes_are_limited_in_length(client, trainer, own):
    client.force_login(trainer)
    response = client.post(
        reverse("crm:client-section", args=[own.pk, "profile"]),
        {
            "profile-first_name": "Ирина",
            "profile-source": "manual",
            "profile-notes": "x" * 2_000_000,
        },
        **HTMX,
    )
    own.refresh_from_db()
    assert own.notes == "" and "profile-notes" in response.content.decode()


def test_the_client_page_moves_stages_through_the_boards_one_endpoint(client, trainer, own):
    client.force_login(trainer)
    page = client.get(reverse("crm:client-detail", args=[own.pk])).content.decode()
    move = reverse("pipeline:client-move", args=[own.pk])
    assert f'action="{move}"' in page and 'name="via" value="client"' in page
    assert (
        client.post(f"/clients/{own.pk}/stage/", {"stage": stage("deciding").pk}).status_code == 404
    )

    plain = client.post(move, {"stage": stage("deciding").pk, "via": "client"})
    assert plain.status_code == 302 and plain.url == reverse("crm:client-detail", args=[own.pk])
    own.refresh_from_db()
    assert own.stage.code == "deciding"
