import random

import pytest

from botapp import demo
from botapp.models import BotChat, BotText
from botapp.questionnaire import BY_STEP, validate
from crm.tests.factories import ClientFactory, stage

pytestmark = pytest.mark.django_db


def test_seed_is_idempotent_and_plausible():
    clients = ClientFactory.create_batch(30, stage=stage("first_contact"))
    BotText.objects.all().delete()

    first = demo.seed(clients=clients, rng=random.Random(1))
    again = demo.seed(clients=clients, rng=random.Random(1))

    assert first >= 30 and again == 0
    assert BotChat.objects.count() == 30
    mid = BotChat.objects.filter(state=BotChat.State.QUESTIONNAIRE)
    assert mid.exists()
    for chat in mid:
        assert chat.step in BY_STEP and chat.step not in chat.answers
        for step, value in chat.answers.items():
            assert validate(BY_STEP[step], value) == value  # every stored answer is a valid one
