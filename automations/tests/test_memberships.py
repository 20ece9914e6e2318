"""Membership reminders by date are the engine's shipped rules, for both kinds of membership: the
academy's (a plan bought through payments) and a tariff's subscription period — once each, the
plan's own subscription (its shadow) not a second time, a renewed one not at all, in the daytime."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine

from academy.models import Membership
from academy.tests.factories import MembershipFactory
from automations.models import Rule, Run
from automations.services import engine_run
from automations.tests.factories import ConsentingClientFactory
from botapp.models import OutboundMessage
from payments.models import Subscription
from payments.tests.factories import TariffFactory

pytestmark = pytest.mark.django_db
MSK = ZoneInfo("Europe/Moscow")
TODAY = date(2027, 3, 1)
NOON = datetime(2027, 3, 1, 12, 0, tzinfo=MSK)


@pytest.fixture
def rules():
    Rule.objects.exclude(code__in=["membership-ends-soon", "membership-ended"]).update(
        is_active=False
    )
    Rule.objects.update(active_since=NOON - timedelta(days=30))


def academy_membership(ends_on: date, **extra) -> Membership:
    membership = MembershipFactory(
        client=extra.pop("client", None) or ConsentingClientFactory(),
        starts_on=ends_on - timedelta(days=29),
        ends_on=ends_on,
        **extra,
    )
    # Paying for a plan also extends the plan tariff's subscription: the same membership's shadow.
    Subscription.objects.create(
        client=membership.client,
        tariff=membership.plan.tariff,
        starts_on=membership.starts_on,
        ends_on=ends_on,
    )
    return membership


def texts(client) -> list[str]:
    return list(
        OutboundMessage.objects.filter(client=client, dedupe_key__startswith="auto:")
        .order_by("pk")
        .values_list("text", flat=True)
    )


def test_both_kinds_of_membership_are_reminded_once(
    rules, settings, django_capture_on_commit_callbacks
):
    settings.QUIET_HOURS = "21-9"
    with time_machine.travel(NOON - timedelta(days=1), tick=False):
        ending = academy_membership(TODAY + timedelta(days=3))
        renewed = academy_membership(TODAY + timedelta(days=2))
        academy_membership(TODAY + timedelta(days=40), client=renewed.client)
        gym = TariffFactory(name="Тренажёрный зал", grants_paid_program=False, duration_days=30)
        subscriber = ConsentingClientFactory()
        Subscription.objects.create(
            client=subscriber, tariff=gym, starts_on=TODAY, ends_on=TODAY + timedelta(days=1)
        )
        far = academy_membership(TODAY + timedelta(days=20))

    for hour in (0, 0):  # at night: recorded, waits for the morning
        with time_machine.travel(NOON.replace(hour=hour), tick=False):
            with django_capture_on_commit_callbacks(execute=True):
                engine_run()
    assert texts(ending.client) == []
    assert set(Run.objects.values_list("status", flat=True)) == {Run.Status.PENDING}
    for _ in range(2):
        with time_machine.travel(NOON, tick=False):
            with django_capture_on_commit_callbacks(execute=True):
                engine_run()

    [text] = texts(ending.client)
    assert "заканчивается 04.03.2027" in text
    assert texts(renewed.client) == []
    [text] = texts(subscriber)
    assert "заканчивается 02.03.2027" in text
    assert texts(far.client) == []

    # On the last day: "today is the last day", once.
    for _ in range(2):
        with time_machine.travel(NOON + timedelta(days=3), tick=False):
            with django_capture_on_commit_callbacks(execute=True):
                engine_run()
    assert len(texts(ending.client)) == 2
    assert texts(ending.client)[1].startswith(f"{ending.client.first_name}, сегодня последний день")
