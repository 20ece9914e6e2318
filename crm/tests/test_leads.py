"""A lead's status follows the journey: qualified by the questionnaire, converted by the first paid
payment (see payments' tests), lost when the client is moved to Неактивен."""

import pytest
from django.core.exceptions import ValidationError

from crm.leads import lead_convert, lead_lose, lead_qualify
from crm.models import Lead
from crm.services import questionnaire_complete
from crm.tests.factories import ClientFactory, UserFactory, stage
from pipeline.models import StageMove
from pipeline.services import stage_move

pytestmark = pytest.mark.django_db

ANSWERS = {
    "gender": "female",
    "age": 31,
    "experience": "beginner",
    "goal": "weight_loss",
    "height_cm": 168,
    "lifestyle": "sedentary",
    "location": "home",
    "equipment": "dumbbells",
    "training_days_per_week": 3,
}


def test_questionnaire_completion_is_one_service(django_capture_on_commit_callbacks):
    client = ClientFactory(stage=stage("first_contact"))
    Lead.objects.create(client=client)
    with django_capture_on_commit_callbacks() as callbacks:
        questionnaire_complete(client=client, values=ANSWERS)
    client.refresh_from_db()
    assert (client.goal, client.age, client.stage.code) == ("weight_loss", 31, "consultation")
    assert client.leads.get().status == Lead.Status.QUALIFIED
    assert client.stage_moves.filter(event=StageMove.Event.QUESTIONNAIRE_COMPLETED).count() == 1
    assert len(callbacks) == 1  # the free program, queued for after commit


def test_a_bad_answer_changes_nothing(django_capture_on_commit_callbacks):
    client = ClientFactory(stage=stage("first_contact"))
    with django_capture_on_commit_callbacks() as callbacks:
        with pytest.raises(ValidationError):
            questionnaire_complete(client=client, values={**ANSWERS, "goal": "fly"})
    client.refresh_from_db()
    assert client.goal == "" and client.stage.code == "first_contact"
    assert not client.leads.exists() and callbacks == []


def test_moving_to_inactive_loses_the_open_lead():
    client = ClientFactory(stage=stage("consultation"))
    lead = Lead.objects.create(client=client, status=Lead.Status.QUALIFIED)
    stage_move(client=client, stage=stage("inactive"), actor=UserFactory(), notes="Дорого")
    lead.refresh_from_db()
    assert lead.status == Lead.Status.LOST


def test_lead_services_leave_settled_leads_alone():
    client = ClientFactory()
    assert lead_convert(client=client) is None and lead_lose(client=client) is None
    lead = lead_qualify(client=client)  # a client added by hand gets a lead
    assert lead.status == Lead.Status.QUALIFIED
    assert lead_convert(client=client) == lead
    assert lead_lose(client=client) is None  # a converted lead is not lost afterwards
    assert lead_qualify(client=client).status == Lead.Status.CONVERTED
