"""Many clients at once (the client import): each gets what a client added by hand gets — a lead,
the first stage with its history, audit entries, the "entered a stage" rules — and the queries do
not grow with the number of rows."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from audit.models import Action, AuditEntry
from automations.models import Rule, Run
from automations.services import EVENT_TASK
from automations.tests.factories import RuleFactory
from crm.models import Client, Lead
from crm.selectors import client_duplicates
from crm.services import ClientRowError, clients_bulk_create, clients_bulk_update
from crm.tests.factories import AdminFactory, ClientFactory, TrainerFactory, stage
from followups.models import FollowUp
from pipeline.models import StageMove

pytestmark = pytest.mark.django_db


def rows(count: int, start: int = 0) -> list[dict]:
    return [
        {
            "first_name": f"Имя{n}",
            "last_name": "Иванова",
            "phone": f"8 (916) 100-{n // 100:02d}-{n % 100:02d}",
            "telegram_id": 10_000 + n,
            "telegram_username": f"@User{n}",
            "email": f"u{n}@example.ru",
            "source": "",
            "notes": "",
        }
        for n in range(start, start + count)
    ]


def test_each_client_gets_what_a_client_added_by_hand_gets(django_capture_on_commit_callbacks):
    Rule.objects.update(is_active=False)
    RuleFactory(trigger=Rule.Trigger.STAGE_ENTERED, stage=stage("first_contact"))
    trainer = TrainerFactory()
    with django_capture_on_commit_callbacks(execute=True):
        created = clients_bulk_create(actor=trainer, rows=rows(3), notes="Из файла")

    anna = Client.objects.get(pk=created[0].pk)
    assert anna.phone == "+79161000000" and anna.telegram_username == "User0"
    assert anna.telegram_id == 10_000 and anna.source == Client.Source.MANUAL
    assert anna.trainer == trainer and anna.stage.code == "first_contact"
    assert client_duplicates(telegram_username="user0") == [anna]
    assert "имя0 иванова @user0" in anna.search_text  # the search box finds them
    assert Lead.objects.filter(client__in=created).count() == 3
    move = StageMove.objects.get(client=anna)
    assert (move.event, move.actor, move.notes) == ("lead_created", trainer, "Из файла")
    actions = AuditEntry.objects.filter(client=anna).values_list("action", flat=True)
    assert sorted(actions) == sorted([Action.CLIENT_CREATE, Action.CLIENT_STAGE])
    # One durable event task for the batch, and the rules fired for every client.
    [event] = FollowUp.objects.filter(task=EVENT_TASK)
    assert event.kwargs == {"client_ids": [client.pk for client in created]}
    assert Run.objects.filter(client__in=created).count() == 3


def bounded(counts: list[int], added: int) -> bool:
    """PostgreSQL inserts a thousand rows in one statement; SQLite takes at most 999 values in one
    (about 28 clients), so there the count may grow by a query per 10 more rows — not 30 a row."""
    if connection.vendor == "postgresql":
        return counts[0] == counts[1]
    return counts[1] - counts[0] <= added / 10


def test_the_queries_do_not_grow_with_the_rows():
    admin = AdminFactory()
    counts = []
    for start, count in ((0, 10), (100, 400)):
        with CaptureQueriesContext(connection) as queries:
            clients_bulk_create(actor=admin, rows=rows(count, start))
        counts.append(len(queries))
    assert bounded(counts, 390)
    assert Client.objects.count() == 410

    counts = []
    for found in (Client.objects.all()[:10], Client.objects.all()[10:410]):
        changes = {client.pk: {"notes": "VIP", "source": "referral"} for client in found}
        with CaptureQueriesContext(connection) as queries:
            assert clients_bulk_update(actor=admin, changes=changes) == len(changes)
        counts.append(len(queries))
    assert bounded(counts, 390)
    assert Client.objects.filter(notes="VIP", source="referral").count() == 410


@pytest.mark.parametrize(
    "change, index",
    [
        ({"phone": "+7 916 555-00-00"}, 0),  # an existing client's phone
        ({"telegram_username": "@ANNA_FIT"}, 0),  # an existing username, in other case
        ({"telegram_id": 777}, 0),
        ({"email": "not an email"}, 0),
        ({"first_name": "", "last_name": "", "phone": "", "telegram_username": ""}, 0),
    ],
)
def test_a_bad_or_taken_row_refuses_them_all(change, index):
    ClientFactory(phone="+79165550000", telegram_username="anna_fit", telegram_id=777)
    batch = rows(3)
    batch[index] = {**batch[index], **change}
    with pytest.raises(ClientRowError) as refused:
        clients_bulk_create(actor=AdminFactory(), rows=batch)
    assert refused.value.index == index
    assert Client.objects.count() == 1 and not StageMove.objects.exists()


def test_two_rows_with_the_same_username_are_refused():
    batch = rows(3)
    batch[2]["telegram_username"] = "user0"
    with pytest.raises(ClientRowError) as refused:
        clients_bulk_create(actor=AdminFactory(), rows=batch)
    assert refused.value.index == 2 and not Client.objects.exists()


def test_an_update_is_audited_and_refuses_another_clients_username():
    admin = AdminFactory()
    anna = ClientFactory(first_name="Анна", telegram_username="anna")
    vera = ClientFactory(first_name="Вера", telegram_username="vera")
    assert clients_bulk_update(actor=admin, changes={anna.pk: {"first_name": "Анна"}}) == 0
    assert clients_bulk_update(actor=admin, changes={anna.pk: {"last_name": "Петрова"}}) == 1
    entry = AuditEntry.objects.get(action=Action.CLIENT_UPDATE, client=anna)
    assert entry.changes == {"last_name": [anna.last_name, "Петрова"]}

    with pytest.raises(ClientRowError) as refused:
        clients_bulk_update(
            actor=admin,
            changes={anna.pk: {"notes": "x"}, vera.pk: {"telegram_username": "@Anna"}},
        )
    assert refused.value.index == 1
    vera.refresh_from_db()
    assert vera.telegram_username == "vera"


def test_a_client_added_meanwhile_trips_the_constraint_and_nothing_is_created(monkeypatch):
    """Between the duplicate check and the insert another request adds a client with a phone of
    the batch (here in the same transaction): the unique constraint refuses the insert, and the
    batch leaves nothing behind."""
    from django.core.exceptions import ValidationError

    import crm.services

    checked = crm.services._usernames_taken

    def check_then_race(usernames):
        found = checked(usernames)
        ClientFactory(phone="+79161000001")  # the second row's phone
        return found

    monkeypatch.setattr(crm.services, "_usernames_taken", check_then_race)
    with pytest.raises(ValidationError) as refused:
        clients_bulk_create(actor=AdminFactory(), rows=rows(3))
    assert not isinstance(refused.value, ClientRowError)
    assert refused.value.messages[0].startswith("Тем временем")
    assert not Lead.objects.exists() and not StageMove.objects.exists()
