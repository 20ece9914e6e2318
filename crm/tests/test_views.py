from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from crm.models import Client, User
from crm.tests.factories import (
    AdminFactory,
    ClientFactory,
    LeadFactory,
    TrainerFactory,
    UserFactory,
    stage,
)

pytestmark = pytest.mark.django_db


def test_dashboard_needs_login(client):
    response = client.get("/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_dashboard_shows_real_numbers_for_the_trainers_own_clients(client):
    trainer, other = TrainerFactory(), TrainerFactory()
    now = timezone.now()
    mine = ClientFactory(
        trainer=trainer, stage=stage("consultation"), next_contact_at=now - timedelta(days=1)
    )
    ClientFactory(trainer=trainer, stage=stage("consultation"))
    ClientFactory(
        trainer=None, stage=stage("first_contact"), next_contact_at=now + timedelta(days=3)
    )
    ClientFactory(trainer=other, stage=stage("active"), next_contact_at=now)
    LeadFactory(client=mine)
    LeadFactory(client=mine, created_at=now - timedelta(days=30))
    client.force_login(trainer)

    dashboard = client.get("/overview/").context["dashboard"]

    counts = {row.stage.code: row.clients for row in dashboard.stages}
    assert counts["consultation"] == 2 and counts["first_contact"] == 1 and counts["active"] == 0
    assert dashboard.total_clients == 3
    assert dashboard.new_leads_this_week == 1
    assert [c.pk for c in dashboard.follow_ups] == [mine.pk]


def test_dashboard_counts_the_stuck_and_the_new_per_stage(client):
    from pipeline.models import PipelineStage

    PipelineStage.objects.update(expected_days=None)
    PipelineStage.objects.filter(code__in=["consultation", "deciding"]).update(expected_days=3)
    now = timezone.now()
    old = now - timedelta(days=40)
    stuck = [
        ClientFactory(stage=stage("consultation"), stage_changed_at=now - timedelta(days=5)),
        ClientFactory(stage=stage("deciding"), stage_changed_at=now - timedelta(days=4)),
    ]
    ClientFactory(stage=stage("consultation"), stage_changed_at=now - timedelta(days=1))
    ClientFactory(stage=stage("active"), stage_changed_at=now - timedelta(days=90))  # no limit
    ClientFactory(stage=None, created_at=old)
    for person in Client.objects.all():
        Client.objects.filter(pk=person.pk).update(created_at=old)
    ClientFactory(stage=stage("first_contact"))  # new this week
    client.force_login(AdminFactory())

    dashboard = client.get("/overview/").context["dashboard"]

    assert dashboard.stale_total == 2
    assert [c.pk for c in dashboard.stale] == [stuck[0].pk, stuck[1].pk]  # the longest first
    assert (dashboard.total_clients, dashboard.unstaged_clients) == (6, 1)
    assert dashboard.new_clients_this_week == 1


def test_dashboard_counts_the_stuck_and_the_due_up_to_the_cap(client, monkeypatch):
    """Stuck clients and follow-ups due grow with the business: the page counts up to COUNT_CAP
    and says "N+"; the API's overview keeps the exact numbers."""
    from pipeline.models import PipelineStage

    monkeypatch.setattr("crm.selectors.COUNT_CAP", 2)
    PipelineStage.objects.filter(code="consultation").update(expected_days=3)
    now = timezone.now()
    ClientFactory.create_batch(
        3,
        stage=stage("consultation"),
        stage_changed_at=now - timedelta(days=5),
        next_contact_at=now - timedelta(hours=1),
    )
    client.force_login(AdminFactory())

    page = client.get("/overview/")
    dashboard = page.context["dashboard"]
    assert (dashboard.stale_total, dashboard.stale_total.label) == (2, "2+")
    assert (dashboard.follow_ups_total, dashboard.follow_ups_total.label) == (2, "2+")
    assert '<small class="muted">(2+)</small>' in page.content.decode()
    overview = client.get("/api/v1/analytics/overview").json()
    assert (overview["stale"], overview["follow_ups_due"]) == (3, 3)


def test_dashboard_queries_do_not_grow_with_clients(client, django_assert_num_queries):
    trainer = TrainerFactory()
    client.force_login(trainer)
    ClientFactory.create_batch(3, trainer=trainer, next_contact_at=timezone.now())
    # +2 since the dashboard lists clients stuck past their stage's expected days (+1: their ids
    # first, the oldest few of each stage merged, then the rows)
    ClientFactory(trainer=trainer, stage_changed_at=timezone.now() - timedelta(days=60))
    with django_assert_num_queries(11) as small:
        client.get("/overview/")
    ClientFactory.create_batch(40, trainer=trainer, next_contact_at=timezone.now())
    with django_assert_num_queries(len(small.captured_queries)):
        client.get("/overview/")


def test_follow_up_cannot_be_rescheduled_into_the_past(client):
    trainer = TrainerFactory()
    due = timezone.now()
    customer = ClientFactory(trainer=trainer, next_contact_at=due)
    client.force_login(trainer)

    response = client.post(
        reverse("crm:client-follow-up", args=[customer.pk]),
        {"next_contact_date": (timezone.localdate() - timedelta(days=2)).isoformat()},
        follow=True,
    )

    assert "не может быть в прошлом" in response.content.decode()
    customer.refresh_from_db()
    assert customer.next_contact_at == due


def test_follow_up_rescheduled_through_htmx_returns_the_fragment(client):
    trainer = TrainerFactory()
    customer = ClientFactory(trainer=trainer, next_contact_at=timezone.now())
    client.force_login(trainer)
    day = timezone.localdate() + timedelta(days=3)

    response = client.post(
        reverse("crm:client-follow-up", args=[customer.pk]),
        {"next_contact_date": day.isoformat()},
        headers={"HX-Request": "true"},
    )

    body = response.content.decode()
    assert response.status_code == 200 and body.lstrip().startswith(
        '<section class="card" id="follow-ups">'
    )
    customer.refresh_from_db()
    assert timezone.localtime(customer.next_contact_at).date() == day


def test_pages_carry_a_strict_content_security_policy(client):
    client.force_login(TrainerFactory())
    response = client.get("/")
    policy = response["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy
    assert response["X-Frame-Options"] == "DENY"
    assert "<script>" not in response.content.decode()


def test_ui_speaks_russian_by_default(client):
    response = client.get("/accounts/login/")
    assert "Войти" in response.content.decode()


def test_login_is_locked_after_five_wrong_passwords_and_unlocks_after_cooloff(client, settings):
    user = UserFactory(username="anna")
    for _ in range(5):
        client.post("/accounts/login/", {"username": "anna", "password": "wrong"})

    locked = client.post("/accounts/login/", {"username": "anna", "password": "pass12345"})
    assert locked.status_code == 429
    assert "Слишком много попыток" in locked.content.decode()

    from axes.models import AccessAttempt

    AccessAttempt.objects.update(attempt_time=timezone.now() - timedelta(hours=1))
    unlocked = client.post("/accounts/login/", {"username": "anna", "password": "pass12345"})
    assert unlocked.status_code == 302
    assert int(client.session["_auth_user_id"]) == user.pk


def test_logout_is_a_post(client):
    client.force_login(UserFactory(role=User.Role.OPERATOR))
    response = client.post("/accounts/logout/")
    assert response.status_code == 302
    assert "_auth_user_id" not in client.session


def test_bot_preview_clients_stay_out_of_the_numbers(client):
    from pipeline.selectors import analytics_get

    admin = UserFactory(role=User.Role.ADMIN)
    ClientFactory(stage=stage("consultation"))
    ClientFactory(stage=stage("consultation"), is_preview=True)
    client.force_login(admin)

    dashboard = client.get("/overview/").context["dashboard"]
    counts = {row.stage.code: row.clients for row in dashboard.stages}
    assert counts["consultation"] == 1 and dashboard.total_clients == 1
    analytics = analytics_get(user=admin)
    assert dict((s.code, n) for s, n in analytics.now_per_stage)["consultation"] == 1


def test_an_account_locks_whatever_addresses_the_wrong_passwords_come_from(client):
    UserFactory(username="boris")
    for n in range(24):
        for _ in range(5):
            client.post(
                "/accounts/login/",
                {"username": "boris", "password": "wrong"},
                REMOTE_ADDR=f"10.0.{n}.1",
            )

    right = client.post(
        "/accounts/login/", {"username": "boris", "password": "pass12345"}, REMOTE_ADDR="10.9.9.9"
    )

    assert right.status_code == 429
    assert "Слишком много попыток" in right.content.decode()
    assert "_auth_user_id" not in client.session


def test_an_address_trying_many_accounts_is_capped_and_others_still_log_in(client, settings):
    settings.AXES_ADDRESS_FAILURE_LIMIT = 20
    victim = UserFactory(username="vera")
    for n in range(20):
        client.post(
            "/accounts/login/", {"username": f"guess{n}", "password": "x"}, REMOTE_ADDR="10.1.1.1"
        )

    from_attacker = client.post(
        "/accounts/login/", {"username": "vera", "password": "pass12345"}, REMOTE_ADDR="10.1.1.1"
    )
    assert from_attacker.status_code == 429

    from_elsewhere = client.post(
        "/accounts/login/", {"username": "vera", "password": "pass12345"}, REMOTE_ADDR="10.2.2.2"
    )
    assert from_elsewhere.status_code == 302
    assert int(client.session["_auth_user_id"]) == victim.pk


def test_pages_turn_off_browser_features_they_never_use(client):
    response = client.get("/accounts/login/")
    policy = response["Permissions-Policy"]
    assert "camera=()" in policy and "geolocation=()" in policy and "payment=()" in policy
