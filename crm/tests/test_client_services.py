from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from crm import services
from crm.models import Client, ClientAction, Lead
from crm.tests.factories import AdminFactory, ClientFactory, TrainerFactory
from pipeline.models import StageMove

pytestmark = pytest.mark.django_db


def test_client_create_normalizes_the_phone_starts_the_pipeline_and_records_the_lead():
    trainer = TrainerFactory()

    client = services.client_create(
        actor=trainer, first_name="Ирина", phone="8 (916) 555-44-33", telegram_username="@irina"
    )

    client.refresh_from_db()
    assert client.phone == "+79165554433"
    assert client.telegram_username == "irina"
    assert client.trainer == trainer  # a trainer's own client
    assert client.stage.code == "first_contact"
    move = StageMove.objects.get(client=client)
    assert (move.event, move.actor) == (StageMove.Event.LEAD_CREATED, trainer)
    assert Lead.objects.get(client=client).source == "manual"


def test_admin_creates_an_unassigned_client_unless_a_trainer_is_picked():
    admin = AdminFactory()
    trainer = TrainerFactory()

    assert services.client_create(actor=admin, first_name="Без тренера").trainer is None
    assert (
        services.client_create(actor=admin, first_name="С тренером", trainer=trainer).trainer
        == trainer
    )


@pytest.mark.parametrize(
    "kwargs",
    [
        {"phone": "+7 900 000-00-01"},
        {"phone": "89000000001"},
        {"telegram_username": "@Existing_User"},
    ],
)
def test_duplicates_by_phone_or_telegram_are_refused_naming_the_existing_client(kwargs):
    existing = ClientFactory(phone="+79000000001", telegram_username="existing_user")

    with pytest.raises(services.ClientDuplicateError) as error:
        services.client_create(actor=TrainerFactory(), first_name="Дубль", **kwargs)

    assert error.value.existing == [existing]
    assert not StageMove.objects.exists()


def test_a_client_needs_at_least_a_name_phone_or_username():
    with pytest.raises(ValidationError):
        services.client_create(actor=TrainerFactory())


def test_client_update_changes_allowed_fields_and_refuses_a_phone_of_another_client():
    ClientFactory(phone="+79000000002")
    client = ClientFactory()

    services.client_update(client=client, data={"first_name": "Пётр", "phone": "8 900 111 22 33"})
    client.refresh_from_db()
    assert (client.first_name, client.phone) == ("Пётр", "+79001112233")

    with pytest.raises(services.ClientDuplicateError):
        services.client_update(client=client, data={"phone": "+7 900 000 00 02"})
    with pytest.raises(ValueError):
        services.client_update(client=client, data={"stage": None})
    client.refresh_from_db()
    assert client.phone == "+79001112233"


def test_client_update_validates_questionnaire_values():
    client = ClientFactory()

    with pytest.raises(ValidationError):
        services.client_update(client=client, data={"age": 5})
    client.refresh_from_db()
    assert client.age is None


def test_logging_a_contact_moves_last_contact_forward_and_schedules_the_next():
    trainer = TrainerFactory()
    client = ClientFactory(trainer=trainer, last_contact_at=None)
    now = timezone.now()
    tomorrow = now + timedelta(days=1)

    action = services.client_action_log(
        client=client,
        author=trainer,
        kind=ClientAction.Kind.CALL,
        description="Обсудили питание",
        happened_at=now,
        next_contact_at=tomorrow,
    )

    client.refresh_from_db()
    assert action.author == trainer
    assert client.last_contact_at == now
    assert client.next_contact_at == tomorrow

    # A call logged late does not move the last contact back.
    services.client_action_log(
        client=client,
        author=trainer,
        kind=ClientAction.Kind.CALL,
        happened_at=now - timedelta(days=3),
    )
    client.refresh_from_db()
    assert client.last_contact_at == now


def test_a_note_is_not_a_contact():
    client = ClientFactory(last_contact_at=None)

    services.client_action_log(
        client=client,
        author=TrainerFactory(),
        kind=ClientAction.Kind.NOTE,
        description="Травма колена",
    )

    client.refresh_from_db()
    assert client.last_contact_at is None
    assert client.actions.count() == 1


def test_duplicate_telegram_usernames_match_in_any_case_through_the_lower_index():
    """The username check is LOWER(telegram_username) = lower, which an expression index answers
    (an `__iexact` lookup read the whole client table for every client added or imported)."""
    from django.db import connection
    from django.db.models.functions import Lower

    from crm.selectors import client_duplicates

    existing = ClientFactory(telegram_username="Anna_Fit", phone=None)
    assert client_duplicates(telegram_username="anna_fit") == [existing]
    assert client_duplicates(telegram_username="ANNA_FIT") == [existing]
    assert client_duplicates(telegram_username="anna_fit2") == []
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:  # a tiny table: make the planner show its options
            cursor.execute("SET LOCAL enable_seqscan = off")
    plan = (
        Client.objects.alias(tg_lower=Lower("telegram_username")).filter(tg_lower="anna").explain()
    )
    assert "client_tg_username_lower_idx" in plan
