"""The pages' summaries (crm.summaries): computed by the periodic job for each viewer's scope, read
by the analytics and payments pages while fresh, live otherwise."""

from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from crm.demo import seed_clients
from crm.models import Summary
from crm.summaries import summaries_refresh, summary_get
from crm.tasks import summaries_refresh_task
from crm.tests.factories import AdminFactory, ClientFactory, ReadOnlyFactory, TrainerFactory
from payments.models import Payment
from payments.tests.factories import PaymentFactory

pytestmark = pytest.mark.django_db

PIPELINE = "pipeline.selectors.analytics_summary"
PROGRESS = "progress.selectors.analytics_summary"
REVENUE = "payments.selectors.revenue_summary"


def sources_of(html: str) -> str:
    return html.split('id="sources"', 1)[1].split("</section>", 1)[0]


def test_the_job_stores_each_summary_for_everyone_and_for_each_active_trainer():
    trainer, left = TrainerFactory(), TrainerFactory(is_active=False)
    AdminFactory()

    took = summaries_refresh_task.apply().get()

    assert set(took) == set(settings.SUMMARIES)
    stored = set(Summary.objects.values_list("name", "scope"))
    assert stored == {(name, scope) for name in settings.SUMMARIES for scope in (0, trainer.pk)}
    assert left.pk not in {scope for _, scope in stored}
    assert settings.CELERY_BEAT_SCHEDULE["crm-summaries-refresh"]["task"] == "crm.summaries_refresh"


def test_a_trainer_who_left_loses_their_summaries_at_the_next_refresh():
    trainer = TrainerFactory()
    summaries_refresh([PIPELINE])
    trainer.is_active = False
    trainer.save()

    summaries_refresh([PIPELINE])

    assert not Summary.objects.filter(scope=trainer.pk).exists()


def test_analytics_page_reads_the_summary_until_the_next_refresh(client):
    trainer = TrainerFactory()
    ClientFactory(trainer=trainer, source="vk_ads")
    summaries_refresh()
    ClientFactory(trainer=trainer, source="instagram")  # after the job
    client.force_login(trainer)

    stored = client.get(reverse("pipeline:analytics")).content.decode()
    assert "ВКонтакте" in sources_of(stored) and "Instagram" not in sources_of(stored)
    assert "Данные на " in stored and "пересчитываются каждые 15 минут" in stored

    # A chosen period is computed for the request, and says nothing about freshness.
    today = timezone.localdate()
    chosen = client.get(
        reverse("pipeline:analytics"),
        {"date_from": f"{today - timedelta(days=30):%Y-%m-%d}", "date_to": f"{today:%Y-%m-%d}"},
    ).content.decode()
    assert "Instagram" in sources_of(chosen) and "Данные на " not in chosen

    # "Recompute now" (a POST) computes and stores it, and sends the viewer back to the page,
    # which reads it; a reload reads the row again instead of computing.
    assert 'name="name" value="pipeline.selectors.analytics_summary"' in stored
    response = client.post(
        reverse("crm:summary-recompute"),
        {"name": PIPELINE, "next": reverse("pipeline:analytics")},
    )
    assert response.status_code == 302 and response["Location"] == reverse("pipeline:analytics")
    recomputed = client.get(response["Location"]).content.decode()
    assert "Instagram" in sources_of(recomputed) and "Данные на " in recomputed


def test_recompute_refuses_what_it_cannot_do(client):
    trainer = TrainerFactory()
    client.force_login(trainer)
    url = reverse("crm:summary-recompute")
    assert client.get(url, {"name": PIPELINE}).status_code == 405
    refused = client.post(url, {"name": "os.system", "next": "/"})
    assert refused.status_code == 400 and "Такой сводки нет" in refused.content.decode()
    assert not Summary.objects.exists()
    away = client.post(url, {"name": PIPELINE, "next": "https://evil.example/"})
    assert away["Location"] == reverse("crm:dashboard")
    assert Summary.objects.filter(name=PIPELINE, scope=trainer.pk).count() == 1
    client.logout()
    assert client.post(url, {"name": PIPELINE}).status_code == 302
    assert Summary.objects.count() == 1


def test_each_scope_sees_only_its_clients_in_the_summary():
    mine, theirs = TrainerFactory(), TrainerFactory()
    ClientFactory(trainer=mine, source="vk_ads")
    ClientFactory(trainer=theirs, source="referral")
    ClientFactory(trainer=None, source="website")
    summaries_refresh([PIPELINE])

    def sources(user) -> set[str]:
        summary = summary_get(PIPELINE, user=user)
        assert summary.computed_at is not None  # read, not computed
        return {row.source for row in summary.value.sources}

    assert sources(mine) == {"vk_ads", "website"}
    assert sources(theirs) == {"referral", "website"}
    assert (
        sources(AdminFactory()) == sources(ReadOnlyFactory()) == {"vk_ads", "referral", "website"}
    )


def test_a_stale_summary_is_not_shown():
    trainer = TrainerFactory()
    noon = timezone.localtime().replace(hour=12, minute=0)
    with time_machine.travel(noon, tick=False):
        summaries_refresh([PIPELINE])
    with time_machine.travel(noon + timedelta(minutes=29), tick=False):
        assert summary_get(PIPELINE, user=trainer).computed_at is not None
    # The worker stopped: after two refresh periods the page computes for itself.
    with time_machine.travel(noon + timedelta(minutes=31), tick=False):
        assert summary_get(PIPELINE, user=trainer).computed_at is None


def test_yesterdays_summary_is_not_todays_period():
    trainer = TrainerFactory()
    late = timezone.localtime().replace(hour=23, minute=55)
    with time_machine.travel(late, tick=False):
        summaries_refresh([PIPELINE])
    with time_machine.travel(late + timedelta(minutes=10), tick=False):
        assert summary_get(PIPELINE, user=trainer).computed_at is None


def test_a_summary_that_cannot_be_read_is_computed_instead(client):
    trainer = TrainerFactory()
    summaries_refresh([PIPELINE])
    Summary.objects.filter(name=PIPELINE).update(data=b"not a pickle")
    client.force_login(trainer)

    response = client.get(reverse("pipeline:analytics"))

    assert response.status_code == 200 and "Данные на " not in response.content.decode()


def test_progress_analytics_reads_its_summary(client):
    trainer = TrainerFactory()
    summaries_refresh([PROGRESS])
    client.force_login(trainer)

    with CaptureQueriesContext(connection) as queries:
        body = client.get(reverse("progress:analytics")).content.decode()

    assert "Данные на " in body
    assert not any("progress_progressjournal" in q["sql"] for q in queries.captured_queries)


def test_payments_page_reads_its_summary_only_with_nothing_chosen(client):
    admin = AdminFactory()
    PaymentFactory(status=Payment.Status.SUCCEEDED, amount=Decimal("5000"), paid_at=timezone.now())
    summaries_refresh([REVENUE])
    PaymentFactory(status=Payment.Status.SUCCEEDED, amount=Decimal("7000"), paid_at=timezone.now())
    client.force_login(admin)

    stored = client.get(reverse("payments:payment-list"))
    assert stored.context["totals"].revenue == Decimal("5000")
    assert "Данные на " in stored.content.decode()
    # The list itself is live: both payments are on it.
    assert len(stored.context["page"].object_list) == 2

    filtered = client.get(reverse("payments:payment-list"), {"status": "succeeded"})
    assert filtered.context["totals"].revenue == Decimal("12000")
    assert "Данные на " not in filtered.content.decode()


@pytest.mark.parametrize("size", [5, 120])
def test_summarised_pages_read_no_history_whatever_the_size(
    client, size, django_assert_num_queries
):
    trainer = TrainerFactory()
    seed_clients(count=size, trainers=[trainer])
    summaries_refresh()
    client.force_login(trainer)
    # session, user, the summary
    with django_assert_num_queries(3):
        client.get(reverse("pipeline:analytics"))
    with django_assert_num_queries(3):
        client.get(reverse("progress:analytics"))
