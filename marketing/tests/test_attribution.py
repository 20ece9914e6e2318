import json
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from botapp.tests.journey import TelegramUser
from botapp.tests.test_questionnaire import answer_all
from crm.models import Lead
from crm.tests.factories import AdminFactory, ClientFactory, LeadFactory
from marketing.attribution import (
    adspend_set,
    attribution_report,
    funnel_questionnaire_completed,
    funnel_questionnaire_started,
)
from marketing.models import SocialPost
from payments.models import Payment
from payments.tests.factories import PaymentFactory, TariffFactory
from payments.tests.fake_yookassa import notification

USER = 770001
MSK = ZoneInfo("Europe/Moscow")


def test_lead_from_a_post_link_is_attributed_through_to_revenue(
    site, fake_telegram, post_update, yookassa, client, django_capture_on_commit_callbacks
):
    post = SocialPost.objects.create(title="Осенний марафон", text="Бесплатная программа!")
    TariffFactory(name="12 недель", price="4990.00")
    # One clock moving forward for the whole story: the bot's rate limiter reserves send slots on
    # the wall clock, so a clock that jumps back or stands still would leave replies waiting.
    with time_machine.travel(timezone.now(), tick=True) as clock:
        anna = TelegramUser(fake_telegram, post_update, USER)
        anna.say(f"/start {post.start_payload}")
        lead = Lead.objects.get(client__telegram_id=USER)
        assert lead.source == f"post_{post.pk}"

        # The questionnaire through the bot, four minutes from the first question to "all correct".
        anna.press("🎁 Бесплатная программа")
        anna.agree()
        answer_all(anna)
        clock.shift(timedelta(minutes=4))
        anna.press("✅ Всё верно")
        funnel_questionnaire_completed(client=lead.client)  # a replay changes nothing

        anna.press("💳 Цены и тарифы")
        anna.press("Купить «12 недель»")
        payment = Payment.objects.get(client__telegram_id=USER)
        yookassa.set_status(payment.provider_payment_id, "succeeded")
        with django_capture_on_commit_callbacks(execute=True):
            client.post(
                "/payments/yookassa/webhook/",
                data=json.dumps(notification("payment.succeeded", payment.provider_payment_id)),
                content_type="application/json",
            )
        today = timezone.localdate()
        adspend_set(source=f"post_{post.pk}", month=today, amount=Decimal("1000.00"))

        report = attribution_report(date_from=today - timedelta(days=1), date_to=today)
        [row] = report.posts
        assert row.post == post
        assert (row.starts, row.questionnaires_started, row.questionnaires_completed) == (1, 1, 1)
        assert timedelta(minutes=4) <= row.average_completion < timedelta(minutes=5)
        assert (row.payments, row.revenue, row.spend) == (1, Decimal("4990.00"), Decimal("1000.00"))
        assert row.cac == Decimal("1000.00") and row.revenue_per_rouble == Decimal("4.99")

        client.force_login(AdminFactory())
        page = client.get("/marketing/analytics/").content.decode()
        assert "Осенний марафон" in page and "4\xa0990,00" in page


def _lead(source: str, at: datetime, **client_fields) -> Lead:
    lead = LeadFactory(client=ClientFactory(**client_fields), source=source)
    Lead.objects.filter(pk=lead.pk).update(created_at=at)
    return Lead.objects.get(pk=lead.pk)


def test_last_touch_and_period(db):
    day = datetime(2026, 11, 10, 12, tzinfo=MSK)
    first = _lead("vk_ads", day)
    # The same client came back through a post; the later payment belongs to the post.
    again = LeadFactory(client=first.client, source="post_7")
    Lead.objects.filter(pk=again.pk).update(created_at=day + timedelta(days=5))
    PaymentFactory(
        client=first.client,
        status="succeeded",
        paid_at=day + timedelta(days=1),
        amount=Decimal("1000"),
    )
    PaymentFactory(
        client=first.client,
        status="succeeded",
        paid_at=day + timedelta(days=6),
        amount=Decimal("3000"),
    )
    PaymentFactory(client=first.client, status="canceled", paid_at=None, amount=Decimal("999"))
    refunded = PaymentFactory(
        client=first.client,
        status="refunded",
        paid_at=day + timedelta(days=7),
        amount=Decimal("500"),
    )
    Payment.objects.filter(pk=refunded.pk).update(refunded_amount=Decimal("500"))
    _lead("telegram", day - timedelta(days=40))  # outside the period
    report = attribution_report(date_from=date(2026, 11, 1), date_to=date(2026, 11, 30))
    rows = {row.source: row for row in report.sources}
    assert set(rows) == {"vk_ads", "post_7"}
    assert (rows["vk_ads"].payments, rows["vk_ads"].revenue) == (1, Decimal("1000"))
    assert (rows["post_7"].payments, rows["post_7"].revenue) == (2, Decimal("3000"))
    assert rows["post_7"].post is None  # a post that no longer exists still counts by its source


def test_preview_clients_are_not_business(db):
    _lead("post_1", timezone.now(), is_preview=True)
    today = timezone.localdate()
    assert attribution_report(date_from=today, date_to=today).sources == []


def test_report_queries_do_not_grow(db):
    today = timezone.localdate()
    now = timezone.now()

    def count():
        with CaptureQueriesContext(connection) as queries:
            attribution_report(date_from=today - timedelta(days=30), date_to=today)
        return len(queries)

    for i in range(3):
        lead = _lead(f"post_{i}", now)
        PaymentFactory(client=lead.client, status="succeeded", paid_at=now)
    small = count()
    for i in range(30):
        lead = _lead(f"post_{i}", now)
        funnel_questionnaire_started(client=lead.client)
        PaymentFactory(client=lead.client, status="succeeded", paid_at=now)
    assert count() == small


def test_ad_spend_form_replaces_a_month_and_refuses_bad_input(client, db):
    client.force_login(AdminFactory())
    url = "/marketing/analytics/"
    assert (
        client.post(url, {"source": "vk_ads", "month": "2026-11", "amount": "1500"}).status_code
        == 302
    )
    assert (
        client.post(url, {"source": "vk_ads", "month": "2026-11", "amount": "2000.50"}).status_code
        == 302
    )
    from marketing.models import AdSpend

    assert list(AdSpend.objects.values_list("source", "month", "amount")) == [
        ("vk_ads", date(2026, 11, 1), Decimal("2000.50"))
    ]
    for bad in ({"amount": "-5"}, {"amount": "abc"}, {"month": "nope"}, {"source": ""}):
        data = {"source": "vk_ads", "month": "2026-10", "amount": "10", **bad}
        assert client.post(url, data).status_code == 422
    assert AdSpend.objects.count() == 1


@pytest.mark.parametrize(
    "query", ["date_from=2026-12-01&date_to=2026-01-01", "date_from=bad&date_to=x"]
)
def test_bad_period_falls_back_to_the_default(client, db, query):
    client.force_login(AdminFactory())
    assert client.get(f"/marketing/analytics/?{query}").status_code == 200
