import threading

import pytest
from django.db import connection

from crm.models import Client, ClientContact, Lead
from crm.services import lead_register
from crm.tests.factories import ClientFactory, stage
from pipeline.models import StageMove


@pytest.mark.django_db
def test_new_lead_creates_client_on_first_stage_with_history_and_notifies_staff(
    django_capture_on_commit_callbacks, monkeypatch
):
    sent = []
    monkeypatch.setattr("crm.services.staff_notify", lambda **kw: sent.append(kw))

    result = lead_register(
        source="vk_ads",
        channel="phone",
        phone="+79161234567",
        first_name="Анна",
        message="Хочу худеть",
    )

    assert result.client_created
    client = result.client
    client.refresh_from_db()
    assert client.stage.code == "first_contact" and client.source == "vk_ads"
    assert StageMove.objects.get(client=client).event == "lead_created"
    assert result.lead.status == Lead.Status.NEW and result.lead.source == "vk_ads"
    assert ClientContact.objects.get(client=client).text == "Хочу худеть"
    assert "Анна" in sent[0]["text"] and sent[0]["client"] == client


@pytest.mark.django_db
def test_same_phone_or_telegram_id_is_the_same_client_never_a_duplicate():
    existing = ClientFactory(
        phone="+79161234567", telegram_id=555, stage=stage("active"), first_name=""
    )

    by_phone = lead_register(
        source="website", channel="phone", phone="+79161234567", first_name="Анна"
    )
    by_telegram = lead_register(source="telegram", channel="telegram", telegram_id=555)

    assert by_phone.client == existing == by_telegram.client
    assert not by_phone.client_created and not by_telegram.client_created
    assert Client.objects.count() == 1 and Lead.objects.filter(client=existing).count() == 2
    existing.refresh_from_db()
    assert existing.stage.code == "active"  # a returning client is not dragged back to the start
    assert existing.first_name == "Анна"  # blanks are completed, nothing is overwritten
    assert not StageMove.objects.filter(client=existing).exists()


@pytest.mark.django_db(transaction=True)
def test_two_racing_requests_for_the_same_person_make_one_client():
    from pipeline.services import stages_ensure_defaults

    stages_ensure_defaults()
    barrier, results, errors = threading.Barrier(2), [], []

    def register():
        try:
            barrier.wait()
            results.append(lead_register(source="telegram", channel="telegram", telegram_id=777))
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=register) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert Client.objects.filter(telegram_id=777).count() == 1
    assert sorted(r.client_created for r in results) == [False, True]
    assert StageMove.objects.count() == 1
