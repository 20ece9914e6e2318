import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from crm.models import Client, User
from crm.tests.factories import ClientFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_same_telegram_id_is_refused_by_the_database():
    ClientFactory(telegram_id=42)
    with pytest.raises(IntegrityError), transaction.atomic():
        Client.objects.create(telegram_id=42)


def test_same_phone_is_refused_by_the_database():
    ClientFactory(phone="+79161234567")
    with pytest.raises(IntegrityError), transaction.atomic():
        Client.objects.create(phone="+79161234567")


def test_clients_without_phone_or_telegram_do_not_clash():
    Client.objects.create(first_name="А", phone="")
    Client.objects.create(first_name="Б", phone="")
    assert Client.objects.filter(phone__isnull=True).count() == 2


@pytest.mark.parametrize(
    ("field", "value"), [("age", 5), ("age", 120), ("height_cm", 40), ("weight_kg", 900)]
)
def test_out_of_range_answers_are_refused_by_the_database(field, value):
    client = ClientFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        Client.objects.filter(pk=client.pk).update(**{field: value})


def test_out_of_range_answers_get_a_clear_validation_message():
    client = ClientFactory.build(weight_kg=900, phone="+79160000001", stage=None)
    with pytest.raises(ValidationError) as error:
        client.full_clean()
    assert "weight_kg" in error.value.message_dict


def test_phone_must_be_international():
    client = ClientFactory.build(phone="8 916 123", stage=None)
    with pytest.raises(ValidationError) as error:
        client.full_clean()
    assert "phone" in error.value.message_dict


def test_full_name_falls_back_to_username_then_phone():
    assert str(Client(first_name="Анна", last_name="Петрова")) == "Анна Петрова"
    assert str(Client(telegram_username="anna")) == "@anna"
    assert str(Client(phone="+79160000000")) == "+79160000000"


def test_roles_decide_admin_access_and_changes():
    admin = UserFactory(role=User.Role.ADMIN)
    trainer = UserFactory(role=User.Role.TRAINER)
    reader = UserFactory(role=User.Role.READ_ONLY)
    superuser = UserFactory(role=User.Role.TRAINER, is_superuser=True)

    assert admin.is_staff and admin.is_admin and admin.can_change
    assert not trainer.is_staff and trainer.is_trainer and trainer.can_change
    assert not reader.is_staff and not reader.can_change
    assert superuser.role == User.Role.ADMIN and superuser.is_staff
