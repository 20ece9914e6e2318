import io
from itertools import pairwise

import pytest
from django.conf import settings
from django.core.management import call_command
from django.urls import reverse

from crm.demo import DEMO_PHONE_PREFIX
from crm.models import Client, ClientContact, Lead, Summary, User
from pipeline.models import StageMove

pytestmark = pytest.mark.django_db


def counts():
    return (
        User.objects.count(),
        Client.objects.count(),
        Lead.objects.count(),
        StageMove.objects.count(),
        ClientContact.objects.count(),
    )


def test_seed_demo_is_idempotent_and_grows_only_by_what_is_missing():
    call_command("seed_demo", clients=60, stdout=open("/dev/null", "w"))
    first = counts()
    call_command("seed_demo", clients=60, stdout=open("/dev/null", "w"))
    assert counts() == first

    call_command("seed_demo", clients=80, stdout=open("/dev/null", "w"))
    assert Client.objects.filter(phone__startswith=DEMO_PHONE_PREFIX).count() == 80
    assert User.objects.count() == first[0]


def test_seed_demo_leaves_the_pages_summaries_for_every_scope(client):
    out = io.StringIO()
    call_command("seed_demo", clients=5, stdout=out)

    assert "crm-summaries-refresh: ok" in out.getvalue()
    assert "ops-database-analyze: ok" in out.getvalue()
    trainers = User.objects.filter(role=User.Role.TRAINER, is_active=True).count()
    assert Summary.objects.count() == len(settings.SUMMARIES) * (1 + trainers)
    client.force_login(User.objects.get(username="demo-trainer"))
    assert "Данные на " in client.get(reverse("pipeline:analytics")).content.decode()


def test_seeded_demo_logins_work(client):
    call_command("seed_demo", clients=5, stdout=open("/dev/null", "w"))
    for username, password in [
        ("demo-admin", "demo-admin-2026"),
        ("demo-trainer", "demo-trainer-2026"),
    ]:
        response = client.post("/accounts/login/", {"username": username, "password": password})
        assert response.status_code == 302, username
    assert User.objects.get(username="demo-admin").is_staff


def test_seeded_histories_end_on_the_clients_current_stage():
    call_command("seed_demo", clients=120, stdout=open("/dev/null", "w"))
    for customer in Client.objects.select_related("stage").prefetch_related("stage_moves"):
        history = sorted(customer.stage_moves.all(), key=lambda m: (m.moved_at, m.pk))
        assert history[0].event == "lead_created" and history[0].from_stage_id is None
        assert history[-1].to_stage_id == customer.stage_id
        for before, after in pairwise(history):
            assert after.from_stage_id == before.to_stage_id
    # A realistic funnel: every stage has someone, and Russian names are used.
    assert set(Client.objects.values_list("stage__code", flat=True)) >= {
        "first_contact",
        "consultation",
        "deciding",
        "active",
        "finished",
        "inactive",
    }
    assert all("а" <= ch.lower() <= "я" or ch == "ё" for ch in Client.objects.first().first_name)


def test_demo_data_does_not_contradict_itself():
    import re

    from django.db.models import Max

    from crm.models import ClientAction
    from payments.models import Payment, PromoCode

    call_command("seed_demo", clients=150, stdout=open("/dev/null", "w"))
    # A promo code shows as many uses as paid payments carry it.
    promo = PromoCode.objects.get(code="START10")
    used = Payment.objects.filter(promo_code=promo, status__in=["succeeded", "refunded"]).count()
    assert used and promo.usages.count() == used
    # The last contact is not older than the latest message or the trainer's latest action.
    latest_message = dict(
        ClientContact.objects.values("client")
        .annotate(at=Max("sent_at"))
        .values_list("client", "at")
    )
    latest_action = dict(
        ClientAction.objects.values("client")
        .annotate(at=Max("happened_at"))
        .values_list("client", "at")
    )
    for pk, last_contact in Client.objects.values_list("pk", "last_contact_at"):
        for latest in (latest_message.get(pk), latest_action.get(pk)):
            assert latest is None or last_contact >= latest, pk
    # A man does not write in the feminine.
    for text in ClientContact.objects.filter(
        client__gender="male", direction="inbound"
    ).values_list("text", flat=True):
        assert not re.search(r"\b\w+ла\b", text), text
    # Nothing moves a client to Завершили automatically yet, so the demo does not pretend it does.
    assert not StageMove.objects.filter(event="program_finished").exists()
    finished = StageMove.objects.filter(to_stage__code="finished")
    assert finished.exists() and set(finished.values_list("event", flat=True)) == {"manual"}
