"""One client address for every per-address rule: X-Forwarded-For believed only from our proxies."""

import logging

import pytest
from django.test import RequestFactory

from config.ip import client_ip
from config.ratelimit import rate_exceeded
from crm.tests.factories import UserFactory

NGINX = "127.0.0.1"
STRANGER = "198.51.100.66"


def _ip(remote: str, forwarded: str | None = None) -> str | None:
    extra = {"HTTP_X_FORWARDED_FOR": forwarded} if forwarded is not None else {}
    return client_ip(RequestFactory().get("/", REMOTE_ADDR=remote, **extra))


def test_without_proxies_the_header_is_ignored(settings):
    settings.PROXY_COUNT = 0
    assert _ip("203.0.113.5", "1.2.3.4") == "203.0.113.5"


def test_behind_one_proxy_the_address_it_appended_counts(settings):
    settings.PROXY_COUNT = 1
    assert _ip(NGINX, "5.6.7.8") == "5.6.7.8"
    # What the visitor wrote before nginx appended the real address changes nothing.
    assert _ip(NGINX, "1.1.1.1, garbage, 5.6.7.8") == "5.6.7.8"
    assert _ip(NGINX, "[2001:db8::1]:443") == "2001:db8::1"


def test_a_header_from_a_peer_that_is_not_our_proxy_is_ignored(settings):
    settings.PROXY_COUNT = 1
    assert _ip(STRANGER, "5.6.7.8") == STRANGER


def test_two_proxies_read_two_hops_and_the_list_is_configurable(settings):
    settings.PROXY_COUNT = 2
    settings.TRUSTED_PROXIES = ["192.0.2.0/24"]
    assert _ip("192.0.2.10", "9.9.9.9, 5.6.7.8, 192.0.2.20") == "5.6.7.8"
    assert _ip(NGINX, "5.6.7.8, 192.0.2.20") == NGINX  # loopback no longer trusted
    # Fewer hops than proxies: the chain is not what our proxies write, so it is not believed.
    assert _ip("192.0.2.10", "5.6.7.8") == "192.0.2.10"


def test_no_peer_address_is_none(settings):
    settings.PROXY_COUNT = 1
    request = RequestFactory().get("/")
    del request.META["REMOTE_ADDR"]
    assert client_ip(request) is None


@pytest.mark.django_db
def test_login_throttling_locks_one_visitor_behind_the_proxy_not_everyone(client, settings):
    settings.PROXY_COUNT = 1
    settings.AXES_ADDRESS_FAILURE_LIMIT = 3
    victim = UserFactory(username="vera")
    for n in range(3):
        client.post(
            "/accounts/login/",
            {"username": f"guess{n}", "password": "x"},
            REMOTE_ADDR=NGINX,
            HTTP_X_FORWARDED_FOR="198.51.100.1",
        )

    attacker = client.post(
        "/accounts/login/",
        {"username": "vera", "password": "pass12345"},
        REMOTE_ADDR=NGINX,
        HTTP_X_FORWARDED_FOR="198.51.100.1",
    )
    assert attacker.status_code == 429

    colleague = client.post(
        "/accounts/login/",
        {"username": "vera", "password": "pass12345"},
        REMOTE_ADDR=NGINX,
        HTTP_X_FORWARDED_FOR="198.51.100.2",
    )
    assert colleague.status_code == 302
    assert int(client.session["_auth_user_id"]) == victim.pk


def test_the_limiter_counts_per_key_and_window():
    assert [rate_exceeded("t", "a", limit=2, window=60) for _ in range(3)] == [False, False, True]
    assert rate_exceeded("t", "b", limit=2, window=60) is False


def test_the_limiter_lets_requests_through_when_the_cache_is_down(settings, caplog):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens there
        }
    }
    with caplog.at_level(logging.WARNING, logger="config.ratelimit"):
        assert rate_exceeded("t", "a", limit=0, window=60) is False
    assert "Rate limit t unavailable" in caplog.text
