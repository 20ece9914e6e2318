"""The ownership rule: a trainer sees their clients and unassigned leads; read_only changes nothing."""

import pytest
from django.urls import reverse

from crm.access import scope_to_user, visible_clients
from crm.models import Lead, User
from crm.tests.factories import ClientFactory, LeadFactory, TrainerFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    me, other = TrainerFactory(), TrainerFactory()
    return {
        "me": me,
        "other": other,
        "mine": ClientFactory(trainer=me),
        "theirs": ClientFactory(trainer=other),
        "unassigned": ClientFactory(trainer=None),
    }


def test_trainer_sees_own_and_unassigned_clients(world):
    assert set(visible_clients(world["me"])) == {world["mine"], world["unassigned"]}


@pytest.mark.parametrize("role", [User.Role.ADMIN, User.Role.OPERATOR, User.Role.READ_ONLY])
def test_other_roles_see_every_client(world, role):
    assert visible_clients(UserFactory(role=role)).count() == 3


def test_scope_follows_the_path_to_the_client(world):
    LeadFactory(client=world["mine"])
    LeadFactory(client=world["theirs"])
    leads = scope_to_user(Lead.objects.all(), world["me"], client_path="client")
    assert [lead.client for lead in leads] == [world["mine"]]


def test_inactive_or_anonymous_users_see_nothing(world):
    from django.contrib.auth.models import AnonymousUser

    world["me"].is_active = False
    assert not visible_clients(world["me"]).exists()
    assert not visible_clients(AnonymousUser()).exists()


def follow_up(client, user, django_client, **data):
    django_client.force_login(user)
    return django_client.post(reverse("crm:client-follow-up", args=[client.pk]), data)


def test_owner_changes_their_client(world, client):
    response = follow_up(world["mine"], world["me"], client, done="1")
    assert response.status_code == 302


def test_another_trainers_client_is_404(world, client):
    world["theirs"].next_contact_at = None
    response = follow_up(world["theirs"], world["me"], client, done="1")
    assert response.status_code == 404


def test_read_only_gets_403_on_any_change(world, client):
    reader = UserFactory(role=User.Role.READ_ONLY)
    response = follow_up(world["mine"], reader, client, done="1")
    assert response.status_code == 403


def test_anonymous_is_sent_to_login(world, client):
    response = client.post(reverse("crm:client-follow-up", args=[world["mine"].pk]), {"done": "1"})
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
