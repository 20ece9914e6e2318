from datetime import timedelta

import pytest
from django.utils import timezone

from automations.models import Rule, Run
from automations.tests.factories import ConsentingClientFactory, RuleFactory
from crm.tests.factories import ClientFactory, ReadOnlyFactory, TrainerFactory
from pipeline.models import PipelineStage

pytestmark = pytest.mark.django_db


@pytest.fixture
def trainer(client):
    user = TrainerFactory()
    client.force_login(user)
    return user


def test_rule_list_shows_shipped_rules_and_toggles(client, trainer):
    response = client.get("/automations/")
    assert response.status_code == 200
    assert "Программа закончилась → Завершен" in response.content.decode()
    rule = Rule.objects.get(code="finished-nps")
    response = client.post(f"/automations/{rule.pk}/toggle/", {"on": "0"})
    assert response.status_code == 302
    rule.refresh_from_db()
    assert not rule.is_active
    client.post(f"/automations/{rule.pk}/toggle/", {"on": "1"})
    rule.refresh_from_db()
    assert rule.is_active and rule.active_since > timezone.now() - timedelta(minutes=1)


def test_read_only_cannot_edit_or_toggle(client):
    client.force_login(ReadOnlyFactory())
    rule = Rule.objects.get(code="finished-nps")
    assert client.get("/automations/").status_code == 200
    assert client.post(f"/automations/{rule.pk}/toggle/", {"on": "0"}).status_code == 403
    assert client.get(f"/automations/{rule.pk}/").status_code == 403


def test_unknown_variable_is_a_form_error_and_nothing_saved(client, trainer):
    rule = Rule.objects.get(code="motivation-weekly")
    data = {
        "rule-name": rule.name,
        "rule-trigger": rule.trigger,
        "rule-delay_value": "1",
        "rule-delay_unit": "days",
        "rule-nps_min": "0",
        "rule-nps_max": "10",
        "rule-task_due_days": "1",
        "rule-message": "Привет, {nmae}!",
    }
    response = client.post(f"/automations/{rule.pk}/", data)
    assert response.status_code == 200
    assert "Неизвестная переменная {nmae}" in response.content.decode()
    rule.refresh_from_db()
    assert "{nmae}" not in rule.message


def test_preview_renders_for_a_real_client_and_counts_the_audience(client, trainer):
    stage = PipelineStage.objects.get(code="consultation")
    mine = ConsentingClientFactory(first_name="Вера", trainer=trainer, stage=stage)
    ConsentingClientFactory(first_name="Чужой", trainer=TrainerFactory(), stage=stage)
    ClientFactory(first_name="Молчун", trainer=trainer, stage=stage)  # never agreed: no message
    data = {
        "rule-name": "Тест",
        "rule-trigger": "stage_entered",
        "rule-stage": str(stage.pk),
        "rule-delay_value": "0",
        "rule-delay_unit": "days",
        "rule-nps_min": "0",
        "rule-nps_max": "10",
        "rule-task_due_days": "1",
        "rule-message": "{name}, тренер {trainer} ждёт вас",
        "rule-buttons": ["trainer"],
    }
    response = client.post("/automations/preview/", data, headers={"HX-Request": "true"})
    body = response.content.decode()
    assert response.status_code == 200
    assert f"Вера, тренер {trainer.get_full_name()} ждёт вас" in body
    assert "✍️ Написать тренеру" in body
    assert 'data-testid="audience-count">1<' in body  # the other trainer's client is not counted
    assert "Чужой" not in body and "Молчун" not in body
    assert mine.full_name in body


def test_log_is_scoped_to_the_trainers_clients(client, trainer):
    rule = RuleFactory()
    mine = ClientFactory(trainer=trainer)
    other = ClientFactory(trainer=TrainerFactory())
    Run.objects.create(rule=rule, client=mine, occurrence="a", status="done", text="Мой текст")
    Run.objects.create(rule=rule, client=other, occurrence="a", status="done", text="Чужой текст")
    body = client.get("/automations/log/").content.decode()
    assert "Мой текст" in body and "Чужой текст" not in body


def test_nps_analytics_by_trainer_and_month(client, trainer):
    from automations.models import NpsResponse

    other = TrainerFactory(first_name="Олег", last_name="Другой")
    for score, owner in ((10, trainer), (9, trainer), (3, trainer), (8, other)):
        person = ClientFactory(trainer=owner)
        NpsResponse.objects.create(client=person, score=score, trainer=owner)
    body = client.get("/automations/nps/").content.decode()
    # The trainer sees their own clients only: 2 promoters, 1 detractor of 3 → NPS 33.
    assert 'data-testid="nps-total">33<' in body
    assert "Олег" not in body


def test_client_page_shows_nps_and_automation_messages(client, trainer):
    from automations.models import NpsResponse

    person = ClientFactory(trainer=trainer)
    NpsResponse.objects.create(client=person, score=4, comment="Мало внимания", trainer=trainer)
    rule = RuleFactory(name="Мотивация")
    Run.objects.create(
        rule=rule,
        client=person,
        occurrence="x",
        status="done",
        text="Вперёд!",
        done_at=timezone.now(),
    )
    body = client.get(f"/clients/{person.pk}/?tab=history").content.decode()
    assert "4/10" in body and "Мало внимания" in body
    assert "Автоматизация: Мотивация" in body


def test_other_trainers_client_page_is_404(client, trainer):
    person = ClientFactory(trainer=TrainerFactory())
    assert client.get(f"/clients/{person.pk}/").status_code == 404
