"""The resources through the same services as the pages: writes leave the same traces."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from crm.models import Client, ClientAction, Lead
from crm.tests.factories import ClientFactory
from payments.models import Payment
from payments.tests.factories import TariffFactory
from pipeline.models import PipelineStage, StageMove
from progress.models import ProgressJournal

pytestmark = pytest.mark.django_db


def _json(client, method, url, body, headers):
    return getattr(client, method)(url, body, content_type="application/json", **headers)


def test_create_client_registers_a_lead_on_the_first_stage(client, trainer, bearer):
    headers = bearer(trainer)
    response = _json(
        client,
        "post",
        "/api/v1/clients",
        {
            "first_name": "Семён",
            "last_name": "Ёлкин",
            "phone": "8 (916) 123-45-67",
            "source": "site",
        },
        headers,
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["phone"] == "+79161234567"
    assert body["stage"]["code"] == "first_contact"
    assert body["trainer"]["id"] == trainer.pk
    created = Client.objects.get(pk=body["id"])
    assert Lead.objects.filter(client=created, source="site").exists()
    assert StageMove.objects.filter(client=created, event="lead_created").exists()


def test_duplicate_phone_is_409_with_the_existing_client(client, trainer, my_client, bearer):
    response = _json(
        client,
        "post",
        "/api/v1/clients",
        {"first_name": "Дубль", "phone": my_client.phone},
        bearer(trainer),
    )
    assert response.status_code == 409
    assert response.json()["duplicates"] == [my_client.pk]
    assert Client.objects.count() == 1


def test_invalid_input_gives_field_errors_and_changes_nothing(client, trainer, my_client, bearer):
    headers = bearer(trainer)
    response = _json(
        client, "patch", f"/api/v1/clients/{my_client.pk}", {"height_cm": 20, "email": "x"}, headers
    )
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert set(errors) >= {"email"}
    my_client.refresh_from_db()
    assert my_client.height_cm is None
    nothing = _json(client, "post", "/api/v1/clients", {}, headers)
    assert nothing.status_code == 400 and nothing.json()["detail"]
    not_json = client.post("/api/v1/clients", b"{oops", content_type="application/json", **headers)
    assert not_json.status_code == 400


def test_update_through_the_service(client, trainer, my_client, bearer):
    response = _json(
        client,
        "patch",
        f"/api/v1/clients/{my_client.pk}",
        {"goal": "strength", "height_cm": 180, "notes": "Колено"},
        bearer(trainer),
    )
    assert response.status_code == 200, response.content
    my_client.refresh_from_db()
    assert (my_client.goal, my_client.height_cm, my_client.notes) == ("strength", 180, "Колено")


def test_trainer_cannot_hand_a_client_to_someone_else(
    client, trainer, other_trainer, my_client, bearer
):
    response = _json(
        client,
        "patch",
        f"/api/v1/clients/{my_client.pk}",
        {"trainer_id": other_trainer.pk},
        bearer(trainer),
    )
    assert response.status_code == 403
    my_client.refresh_from_db()
    assert my_client.trainer == trainer


def test_move_stage_records_history_and_needs_a_reason_for_inactive(
    client, trainer, my_client, bearer
):
    headers = bearer(trainer)
    deciding = PipelineStage.objects.get(code="deciding")
    moved = _json(
        client,
        "post",
        f"/api/v1/clients/{my_client.pk}/move-stage",
        {"stage_id": deciding.pk, "notes": "Созвонились"},
        headers,
    )
    assert moved.status_code == 200, moved.content
    assert moved.json()["to_stage_name"] == deciding.name
    move = StageMove.objects.get(client=my_client, to_stage=deciding)
    assert (move.actor, move.notes, move.event) == (trainer, "Созвонились", "manual")
    inactive = PipelineStage.objects.get(code="inactive")
    refused = _json(
        client,
        "post",
        f"/api/v1/clients/{my_client.pk}/move-stage",
        {"stage_id": inactive.pk},
        headers,
    )
    assert refused.status_code == 400 and refused.json()["detail"]
    my_client.refresh_from_db()
    assert my_client.stage == deciding
    unknown = _json(
        client, "post", f"/api/v1/clients/{my_client.pk}/move-stage", {"stage_id": 99999}, headers
    )
    assert unknown.status_code == 400 and "stage_id" in unknown.json()["errors"]
    history = client.get(f"/api/v1/clients/{my_client.pk}/history", **headers).json()
    assert history["results"][0]["to_stage_name"] == deciding.name


def test_cursor_pagination_walks_every_client_once(client, admin_user, bearer):
    ClientFactory.create_batch(7)
    headers = bearer(admin_user)
    seen, url = [], "/api/v1/clients?page_size=3"
    while url:
        page = client.get(url, **headers).json()
        seen += [row["id"] for row in page["results"]]
        url = page["next"]
    assert sorted(seen) == sorted(Client.objects.values_list("pk", flat=True))
    assert len(seen) == len(set(seen)) == 7


@pytest.mark.parametrize("size", [3, 30])
def test_client_list_queries_do_not_grow(client, admin_user, bearer, size):
    ClientFactory.create_batch(size)
    headers = bearer(admin_user)
    client.get("/api/v1/clients", **headers)  # warm: token last_used_at
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/api/v1/clients?page_size=50", **headers)
    assert response.status_code == 200
    assert len(queries) == 2  # the token, the page


def test_filters(client, trainer, bearer):
    ClientFactory(trainer=trainer, first_name="Семён", last_name="Ёжиков", source="vk_ads")
    ClientFactory(trainer=trainer, first_name="Анна", source="site")
    headers = bearer(trainer)
    by_source = client.get("/api/v1/clients?source=vk_ads", **headers).json()["results"]
    assert [row["first_name"] for row in by_source] == ["Семён"]
    by_name = client.get("/api/v1/clients?q=Анна", **headers).json()["results"]
    assert [row["first_name"] for row in by_name] == ["Анна"]
    bad = client.get("/api/v1/clients?created_from=вчера", **headers)
    assert bad.status_code == 400 and "created_from" in bad.json()["errors"]


def test_progress_crud_and_chart(client, trainer, my_client, bearer):
    headers = bearer(trainer)
    created = _json(
        client,
        "post",
        "/api/v1/progress",
        {"client_id": my_client.pk, "period": "before", "weight": "82.5", "waist": "90"},
        headers,
    )
    assert created.status_code == 201, created.content
    entry_id = created.json()["id"]
    out_of_range = _json(client, "patch", f"/api/v1/progress/{entry_id}", {"weight": "5"}, headers)
    assert out_of_range.status_code == 400 and "weight" in out_of_range.json()["errors"]
    corrected = _json(client, "patch", f"/api/v1/progress/{entry_id}", {"weight": "81"}, headers)
    assert corrected.status_code == 200
    entry = ProgressJournal.objects.get(pk=entry_id)
    assert (entry.weight, entry.waist) == (Decimal("81.0"), Decimal("90.0"))
    chart = client.get(f"/api/v1/clients/{my_client.pk}/progress-chart", **headers).json()
    weight = next(series for series in chart if series["metric"] == "weight")
    assert weight["points"][0]["value"] == "81.0"
    assert client.delete(f"/api/v1/progress/{entry_id}", **headers).status_code == 204
    assert not ProgressJournal.objects.exists()


def test_log_an_action(client, trainer, my_client, bearer):
    response = _json(
        client,
        "post",
        "/api/v1/actions",
        {"client_id": my_client.pk, "kind": "call", "description": "Обсудили цели"},
        bearer(trainer),
    )
    assert response.status_code == 201
    assert ClientAction.objects.get(client=my_client).author == trainer
    my_client.refresh_from_db()
    assert my_client.last_contact_at is not None


def test_record_a_cash_payment(client, trainer, my_client, bearer):
    tariff = TariffFactory(price=Decimal("4990.00"))
    headers = bearer(trainer)
    response = _json(
        client,
        "post",
        "/api/v1/payments",
        {"client_id": my_client.pk, "tariff_id": tariff.pk, "provider": "cash"},
        headers,
    )
    assert response.status_code == 201, response.content
    payment = Payment.objects.get(client=my_client)
    assert payment.status == Payment.Status.SUCCEEDED
    assert response.json()["amount"] == "4990.00"
    online = _json(
        client,
        "post",
        "/api/v1/payments",
        {"client_id": my_client.pk, "tariff_id": tariff.pk, "provider": "yookassa"},
        headers,
    )
    assert online.status_code == 400 and "provider" in online.json()["errors"]
    listed = client.get("/api/v1/payments?status=succeeded", **headers).json()["results"]
    assert [row["id"] for row in listed] == [payment.pk]


def test_stage_crud_for_admins_under_the_page_rules(client, admin_user, my_client, bearer):
    headers = bearer(admin_user)
    created = _json(client, "post", "/api/v1/stages", {"name": "Пробная тренировка"}, headers)
    assert created.status_code == 201, created.content
    stage_id = created.json()["id"]
    renamed = _json(client, "patch", f"/api/v1/stages/{stage_id}", {"color": "#ff0000"}, headers)
    assert renamed.status_code == 200 and renamed.json()["color"] == "#ff0000"
    reordered = _json(client, "post", "/api/v1/stages/reorder", {"stage_ids": [stage_id]}, headers)
    assert reordered.status_code == 200 and reordered.json()[0]["id"] == stage_id
    unknown = _json(client, "post", "/api/v1/stages/reorder", {"stage_ids": [99999]}, headers)
    assert unknown.status_code == 400
    busy = client.delete(f"/api/v1/stages/{my_client.stage_id}", **headers)
    assert busy.status_code == 400 and busy.json()["detail"]
    assert client.delete(f"/api/v1/stages/{stage_id}", **headers).status_code == 204


def test_analytics(client, admin_user, my_client, bearer):
    headers = bearer(admin_user)
    for name in ["overview", "conversion", "revenue", "clients-growth"]:
        response = client.get(f"/api/v1/analytics/{name}", **headers)
        assert response.status_code == 200, name
    overview = client.get("/api/v1/analytics/overview", **headers).json()
    assert overview["total_clients"] == 1
    growth = client.get(
        "/api/v1/analytics/clients-growth",
        {"date_from": "2026-01-05", "date_to": "2026-02-01"},
        **headers,
    ).json()
    assert [row["week"][:10] for row in growth["weeks"]] == [
        "2026-01-05",
        "2026-01-12",
        "2026-01-19",
        "2026-01-26",
    ]
    backwards = client.get(
        "/api/v1/analytics/conversion",
        {"date_from": "2026-02-01", "date_to": "2026-01-01"},
        **headers,
    )
    assert backwards.status_code == 400
    assert "Период заканчивается раньше" in str(backwards.json())
    assert (
        client.get("/api/v1/analytics/conversion", {"date_from": "вчера"}, **headers).status_code
        == 400
    )


def test_schema_and_reference_page(client, trainer):
    client.force_login(trainer)
    schema = client.get("/api/schema/?format=json")
    assert schema.status_code == 200
    paths = schema.json()["paths"]
    assert "/api/v1/clients/{id}/move-stage" in paths
    assert "429" in paths["/api/v1/clients"]["get"]["responses"]
    docs = client.get("/api/docs/")
    assert docs.status_code == 200
    assert b"cdn" not in docs.content.lower()
    client.logout()
    assert client.get("/api/schema/").status_code in (401, 403)
