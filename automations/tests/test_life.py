"""A whole client life after the sale, played by moving the clock (time-machine) and running the
scheduler exactly as beat would (`manage.py run_scheduled --job automations-run`), over real HTTP to
the fake Bot API and the fake YooKassa:

paid → a motivational message and a check-in prompt every week → the program ends → Завершен →
thanks + NPS → 9 → the next package with Buy buttons → Buy → Принимают решение.

Every pass runs twice: each message must arrive exactly once.
"""

import json
from collections import Counter
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import call_command

from automations.models import NpsResponse, Rule, Run
from botapp.tests.journey import TelegramUser
from botapp.tests.test_questionnaire import answer_all
from crm.models import Client
from payments.models import Payment
from payments.tests.factories import TariffFactory
from payments.tests.fake_yookassa import notification

pytestmark = pytest.mark.django_db
USER = 777000111
MSK = ZoneInfo("Europe/Moscow")
START = datetime(2027, 1, 4, 12, 0, tzinfo=MSK)  # a Monday, noon: outside quiet hours


def test_whole_life_after_the_sale(
    fake_telegram, post_update, yookassa, client, django_capture_on_commit_callbacks
):
    def engine(times: int = 2) -> list[str]:
        """Run the scheduler's pass `times` times; the texts the client got meanwhile."""
        before = len(anna.texts())
        for _ in range(times):
            with django_capture_on_commit_callbacks(execute=True):
                call_command("run_scheduled", job=["automations-run"])
        return anna.texts()[before:]

    with time_machine.travel(START, tick=False) as clock:
        Rule.objects.update(active_since=START - timedelta(minutes=1))
        TariffFactory(name="12 недель с тренером", price="4990.00", order=1)
        TariffFactory(name="3 месяца с тренером", price="12990.00", order=2)
        anna = TelegramUser(fake_telegram, post_update, USER)
        anna.say("/start")
        anna.press("🎁 Бесплатная программа")
        anna.agree()  # the bot's consent question before the questionnaire
        answer_all(anna)
        anna.press("✅ Всё верно")
        anna.press("Купить «12 недель с тренером»")
        payment = Payment.objects.get(client__telegram_id=USER)
        yookassa.set_status(payment.provider_payment_id, "succeeded")
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(
                "/payments/yookassa/webhook/",
                data=json.dumps(notification("payment.succeeded", payment.provider_payment_id)),
                content_type="application/json",
            )
        assert response.status_code == 200
        person = Client.objects.get(telegram_id=USER)
        assert person.stage.code == "active"
        assert engine() == []  # nothing is due at delivery

        for week in range(1, 13):
            week_start = START + timedelta(weeks=week - 1)
            clock.move_to(week_start + timedelta(days=1, minutes=1))
            sent = engine()
            assert len(sent) == 1 and f"идёт {week}-я неделя из 12" in sent[0], (week, sent)
            clock.move_to(week_start + timedelta(days=6, minutes=1))
            sent = engine()
            assert len(sent) == 1 and sent[0].endswith("любой замер можно пропустить."), sent
            if week == 1:  # the prompt's button starts the check-in in the bot
                anna.press("📏 Записать замеры")
                anna.agree()  # measurements are health data: their own consent first
                assert "Запишем ваши замеры" in anna.texts()[-1]
                anna.say("/cancel")

        # The last week has passed: one pass moves the client to Завершен and asks for NPS.
        clock.move_to(START + timedelta(weeks=12, minutes=5))
        sent = engine()
        person.refresh_from_db()
        assert person.stage.code == "finished"
        assert len(sent) == 1 and sent[0].startswith("Анна, программа завершена"), sent
        assert [label for label in anna.buttons()] == [str(n) for n in range(11)]

        anna.press("9")
        response = NpsResponse.objects.get(client=person)
        assert response.score == 9 and response.program.kind == "paid"
        texts = anna.texts()
        assert texts[-2].startswith("Спасибо за оценку — 9!")
        assert texts[-1].startswith("Анна, рад, что программа понравилась!")
        assert anna.buttons() == [
            "Купить «12 недель с тренером» — 4 990 ₽",
            "Купить «3 месяца с тренером» — 12 990 ₽",
        ]
        anna.say("Очень понравилось, спасибо!")
        response.refresh_from_db()
        assert response.comment == "Очень понравилось, спасибо!"
        assert engine() == []  # the chain is complete: a later pass sends nothing new

        anna.press("Купить «3 месяца с тренером»")
        person.refresh_from_db()
        assert person.stage.code == "deciding"
        assert Payment.objects.filter(client=person, tariff__name="3 месяца с тренером").exists()
        assert engine() == []
        # An hour later the payment is still not made: one reminder with the link, once.
        clock.move_to(START + timedelta(weeks=12, minutes=70))
        sent = engine()
        link = Payment.objects.filter(client=person).latest("created_at").confirmation_url
        assert len(sent) == 1 and link in sent[0], sent

    # Every automation message left exactly once, and the log says so.
    counts = Counter(anna.texts())
    repeated = {text: n for text, n in counts.items() if n > 1 and "замеры" not in text}
    assert not repeated, repeated
    by_rule = Counter(Run.objects.filter(client=person).values_list("rule__code", flat=True))
    assert by_rule == {
        "motivation-weekly": 12,
        "checkin-weekly": 12,
        "program-end": 1,
        "finished-nps": 1,
        "nps-offer": 1,
        "nudge-pending-payment": 1,
    }
    assert not Run.objects.exclude(status=Run.Status.DONE).exists()
