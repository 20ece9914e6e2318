"""Quick add from the top bar and "Take this lead"."""

import pytest

from crm.models import Client, Lead, User
from crm.tests.factories import ClientFactory, TrainerFactory, UserFactory

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


def test_quick_add_creates_a_lead_of_the_trainer_on_the_first_stage(client):
    trainer = TrainerFactory()
    client.force_login(trainer)

    response = client.post(
        "/leads/new/",
        {"name": "Анна Петрова", "contact": "8 (916) 000-11-22", "source": "instagram"},
        **HTMX,
    )

    new = Client.objects.get(phone="+79160001122")
    assert response.status_code == 200 and f'href="/clients/{new.pk}/"' in response.content.decode()
    assert (new.first_name, new.last_name, new.source) == ("Анна", "Петрова", "instagram")
    assert new.trainer == trainer and new.stage.code == "first_contact"
    assert Lead.objects.filter(client=new, source="instagram").count() == 1


def test_quick_add_by_username_without_htmx_opens_the_client(client):
    client.force_login(TrainerFactory())
    response = client.post("/leads/new/", {"name": "", "contact": "@new_one", "source": "manual"})
    new = Client.objects.get(telegram_username="new_one")
    assert response.status_code == 302 and response["Location"] == f"/clients/{new.pk}/"


def test_a_duplicate_links_to_the_existing_client_and_creates_nothing(client):
    trainer = TrainerFactory()
    existing = ClientFactory(trainer=trainer, phone="+79160001122")
    client.force_login(trainer)
    count = Client.objects.count()

    response = client.post(
        "/leads/new/", {"name": "Кто-то", "contact": "+7 916 000 11 22", "source": "manual"}, **HTMX
    )

    body = response.content.decode()
    assert Client.objects.count() == count
    assert f'href="/clients/{existing.pk}/"' in body and "уже есть" in body


def test_bad_input_is_explained_and_changes_nothing(client):
    client.force_login(TrainerFactory())
    count = Client.objects.count()
    empty = client.post("/leads/new/", {"name": "", "contact": "", "source": "manual"}, **HTMX)
    bad = client.post("/leads/new/", {"name": "Я", "contact": "12", "source": "manual"}, **HTMX)
    assert "Укажите хотя бы" in empty.content.decode()
    assert "field-error" in bad.content.decode()
    assert Client.objects.count() == count


def test_read_only_cannot_add(client):
    client.force_login(UserFactory(role=User.Role.READ_ONLY))
    assert client.post("/leads/new/", {"name": "А", "source": "manual"}).status_code == 403


def test_a_trainer_takes_an_unassigned_lead_once(client):
    lead = ClientFactory(trainer=None)
    first, second = TrainerFactory(), TrainerFactory()
    client.force_login(first)
    assert client.post(f"/clients/{lead.pk}/take/").status_code == 302
    lead.refresh_from_db()
    assert lead.trainer == first

    client.force_login(second)
    # Now it is the first trainer's client: the second cannot even see it.
    assert client.post(f"/clients/{lead.pk}/take/").status_code == 404
    lead.refresh_from_db()
    assert lead.trainer == first


def test_take_refuses_when_someone_was_faster():
    from crm.services import LeadTakenError, client_take

    lead = ClientFactory(trainer=None)
    stale = Client.objects.get(pk=lead.pk)
    client_take(client=lead, user=TrainerFactory())
    with pytest.raises(LeadTakenError):
        client_take(client=stale, user=TrainerFactory())
