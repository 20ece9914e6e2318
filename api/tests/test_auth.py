"""Tokens, roles and ownership: the API answers as the pages do."""

import pytest
from django.urls import reverse

from api.models import ApiToken, token_hash
from audit.models import Action, AuditEntry
from crm.models import Client

pytestmark = pytest.mark.django_db


def test_token_is_shown_once_and_stored_hashed(client, trainer):
    client.force_login(trainer)
    page = client.post(reverse("api:token-create"), {"name": "Сайт"})
    assert page.status_code == 200
    raw = page.context["new_key"]
    assert raw.startswith("crm_") and len(raw) > 40
    token = ApiToken.objects.get(user=trainer)
    assert token.key_hash == token_hash(raw) and raw not in token.key_hash
    assert raw.encode() in page.content
    again = client.get(reverse("api:tokens"))
    assert raw.encode() not in again.content
    assert "Сайт".encode() in again.content


def test_token_authenticates_and_revoked_token_does_not(client, trainer, my_client, bearer):
    headers = bearer(trainer)
    response = client.get("/api/v1/clients", **headers)
    assert response.status_code == 200
    assert [row["id"] for row in response.json()["results"]] == [my_client.pk]
    token = ApiToken.objects.get(user=trainer)
    assert token.last_used_at is not None
    client.force_login(trainer)
    client.post(reverse("api:token-revoke", args=[token.pk]))
    client.logout()
    refused = client.get("/api/v1/clients", **headers)
    assert refused.status_code == 401
    assert "отозван" in refused.json()["detail"]


def test_someone_elses_token_cannot_be_revoked(client, trainer, other_trainer, bearer):
    bearer(other_trainer)
    token = ApiToken.objects.get(user=other_trainer)
    client.force_login(trainer)
    assert client.post(reverse("api:token-revoke", args=[token.pk])).status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None


def test_anonymous_and_garbage_tokens_are_refused(client):
    assert client.get("/api/v1/clients").status_code in (401, 403)
    bad = client.get("/api/v1/clients", HTTP_AUTHORIZATION="Bearer nope")
    assert bad.status_code == 401
    assert bad.json()["detail"]


def _object_urls(client_obj, program, payment, entry, action, contact, move) -> list[str]:
    pk = client_obj.pk
    return [
        f"/api/v1/clients/{pk}",
        f"/api/v1/clients/{pk}/history",
        f"/api/v1/clients/{pk}/programs",
        f"/api/v1/clients/{pk}/payments",
        f"/api/v1/clients/{pk}/progress",
        f"/api/v1/clients/{pk}/progress-chart",
        f"/api/v1/clients/{pk}/actions",
        f"/api/v1/clients/{pk}/contacts",
        f"/api/v1/programs/{program.pk}",
        f"/api/v1/payments/{payment.pk}",
        f"/api/v1/progress/{entry.pk}",
        f"/api/v1/actions/{action.pk}",
        f"/api/v1/contacts/{contact.pk}",
        f"/api/v1/stage-history/{move.pk}",
    ]


@pytest.fixture
def foreign_objects(foreign_client):
    from crm.tests.factories import ClientActionFactory, ClientContactFactory
    from payments.tests.factories import PaymentFactory
    from pipeline.models import StageMove
    from programs.tests.factories import TrainingProgramFactory
    from progress.tests.factories import ProgressJournalFactory

    move = StageMove.objects.create(
        client=foreign_client,
        to_stage=foreign_client.stage,
        to_stage_name=foreign_client.stage.name,
        moved_at=foreign_client.created_at,
    )
    return (
        foreign_client,
        TrainingProgramFactory(client=foreign_client),
        PaymentFactory(client=foreign_client),
        ProgressJournalFactory(client=foreign_client),
        ClientActionFactory(client=foreign_client),
        ClientContactFactory(client=foreign_client),
        move,
    )


def test_every_object_of_another_trainer_is_404(client, trainer, foreign_objects, bearer):
    headers = bearer(trainer)
    for url in _object_urls(*foreign_objects):
        response = client.get(url, **headers)
        assert response.status_code == 404, url
        assert response.json()["detail"]
    foreign = foreign_objects[0]
    writes = [
        ("patch", f"/api/v1/clients/{foreign.pk}", {"notes": "x"}),
        ("post", f"/api/v1/clients/{foreign.pk}/move-stage", {"stage_id": foreign.stage_id}),
        ("patch", f"/api/v1/progress/{foreign_objects[3].pk}", {"weight": "70"}),
        ("delete", f"/api/v1/progress/{foreign_objects[3].pk}", None),
        ("post", "/api/v1/actions", {"client_id": foreign.pk, "kind": "call"}),
        ("post", "/api/v1/progress", {"client_id": foreign.pk, "period": "before", "weight": "70"}),
        (
            "post",
            "/api/v1/programs/assign",
            {"client_id": foreign.pk, "kind": "free", "request_id": "r"},
        ),
    ]
    for method, url, body in writes:
        response = getattr(client, method)(url, body, content_type="application/json", **headers)
        assert response.status_code == 404, (method, url, response.content)
    foreign.refresh_from_db()
    assert foreign.notes == ""
    # Refused, and recorded as on the pages.
    assert AuditEntry.objects.filter(
        actor=trainer, action=Action.ACCESS_DENIED, client_id=foreign.pk
    ).exists()
    # Lists leave them out too.
    for url in [
        "/api/v1/clients",
        "/api/v1/programs",
        "/api/v1/payments",
        "/api/v1/progress",
        "/api/v1/actions",
        "/api/v1/contacts",
        "/api/v1/stage-history",
    ]:
        assert client.get(url, **headers).json()["results"] == [], url


def test_the_owner_sees_the_same_objects(client, other_trainer, foreign_objects, bearer):
    headers = bearer(other_trainer)
    for url in _object_urls(*foreign_objects):
        assert client.get(url, **headers).status_code == 200, url


@pytest.mark.parametrize("read_only_token", [False, True])
def test_read_only_reads_but_every_write_is_403(
    client, readonly_user, admin_user, my_client, bearer, read_only_token
):
    # A read-only user, or an admin's token marked read-only.
    headers = bearer(admin_user, read_only=True) if read_only_token else bearer(readonly_user)
    assert client.get(f"/api/v1/clients/{my_client.pk}", **headers).status_code == 200
    writes = [
        ("post", "/api/v1/clients", {"first_name": "Новый"}),
        ("patch", f"/api/v1/clients/{my_client.pk}", {"notes": "x"}),
        ("post", f"/api/v1/clients/{my_client.pk}/move-stage", {"stage_id": my_client.stage_id}),
        ("post", "/api/v1/stages", {"name": "Новая"}),
        ("delete", f"/api/v1/stages/{my_client.stage_id}", None),
        ("post", "/api/v1/actions", {"client_id": my_client.pk, "kind": "call"}),
        ("post", "/api/v1/progress", {"client_id": my_client.pk, "period": "before"}),
        ("post", "/api/v1/payments", {"client_id": my_client.pk}),
        ("post", "/api/v1/programs/assign", {"client_id": my_client.pk}),
    ]
    for method, url, body in writes:
        response = getattr(client, method)(url, body, content_type="application/json", **headers)
        assert response.status_code == 403, (method, url)
        assert "только чтение" in response.json()["detail"] or response.json()["detail"]
    assert Client.objects.count() == 1
    assert AuditEntry.objects.filter(action=Action.ACCESS_DENIED).count() == len(writes)


def test_a_read_only_users_token_is_read_only_whatever_is_asked(readonly_user):
    from api.services import token_create

    token, _raw = token_create(user=readonly_user, name="x", read_only=False)
    assert token.read_only


def test_trainers_cannot_change_stages(client, trainer, bearer):
    headers = bearer(trainer)
    response = client.post(
        "/api/v1/stages", {"name": "Новая"}, content_type="application/json", **headers
    )
    assert response.status_code == 403
    assert client.get("/api/v1/stages", **headers).status_code == 200


def test_throttled_per_token(client, trainer, bearer, settings):
    from django.core.cache import cache

    cache.clear()
    settings.API_RATE = "3/min"
    first, second = bearer(trainer), bearer(trainer)
    codes = [client.get("/api/v1/stages", **first).status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    assert client.get("/api/v1/stages", **second).status_code == 200
    assert client.get("/api/v1/stages", **first).json()["detail"]
    cache.clear()
