import pytest

from crm.models import Client, ClientContact

pytestmark = pytest.mark.django_db
URL = "/api/website/contact-form/"


def test_contact_form_creates_a_lead(client):
    response = client.post(
        URL,
        {
            "consent": "on",
            "name": "Анна Петрова",
            "phone": "8 (916) 123-45-67",
            "message": "Хочу похудеть к лету",
        },
    )
    assert response.status_code == 201 and response.json()["ok"]
    customer = Client.objects.get()
    assert (customer.first_name, customer.last_name, customer.phone) == (
        "Анна",
        "Петрова",
        "+79161234567",
    )
    assert customer.source == "website" and customer.stage.code == "first_contact"
    assert ClientContact.objects.get().text == "Хочу похудеть к лету"


def test_contact_form_accepts_json_and_a_source(client):
    response = client.post(
        URL,
        {"consent": True, "name": "Иван", "email": "ivan@example.ru", "source": "instagram"},
        content_type="application/json",
    )
    assert response.status_code == 201
    assert Client.objects.get().source == "instagram"


def test_repeat_submission_is_the_same_client(client):
    client.post(URL, {"consent": "on", "name": "Анна", "phone": "+79161234567"})
    response = client.post(URL, {"consent": "on", "name": "Анна", "phone": "89161234567"})
    assert response.status_code == 200
    assert Client.objects.count() == 1 and Client.objects.get().leads.count() == 2


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"consent": "on", "phone": "+79161234567"}, "name"),
        ({"consent": "on", "name": "Анна", "phone": "12"}, "phone"),
        ({"consent": "on", "name": "Анна"}, "__all__"),
    ],
)
def test_bad_input_gets_a_clear_message_and_changes_nothing(client, data, field):
    response = client.post(URL, data)
    assert response.status_code == 400
    assert field in response.json()["errors"]
    assert not Client.objects.exists()


def test_garbage_json_is_400(client):
    response = client.post(URL, b"{not json", content_type="application/json")
    assert response.status_code == 400 and not Client.objects.exists()


def test_honeypot_pretends_success_and_stores_nothing(client):
    response = client.post(
        URL, {"consent": "on", "name": "Bot", "phone": "+79161234567", "website_url": "http://spam"}
    )
    assert response.status_code == 201 and not Client.objects.exists()


def test_flood_from_one_address_is_throttled(client):
    codes = [
        client.post(
            URL, {"consent": "on", "name": "Анна", "phone": f"+7916123456{i % 10}"}
        ).status_code
        for i in range(12)
    ]
    assert codes[-1] == 429 and codes.count(429) == 2


def test_cors_only_for_configured_sites(client, settings):
    settings.WEBSITE_FORM_ALLOWED_ORIGINS = ["https://trainer.example.com"]
    allowed = client.options(URL, headers={"Origin": "https://trainer.example.com"})
    other = client.options(URL, headers={"Origin": "https://evil.example.com"})
    assert allowed["Access-Control-Allow-Origin"] == "https://trainer.example.com"
    assert "Access-Control-Allow-Origin" not in other


def test_get_is_not_allowed(client):
    assert client.get(URL).status_code == 405


@pytest.mark.parametrize("name", [{"first": "Анна"}, 42, ["Анна"], True])
def test_a_name_that_is_not_text_is_refused(client, name):
    response = client.post(
        URL,
        {"consent": "on", "name": name, "phone": "+79161234567"},
        content_type="application/json",
    )
    assert response.status_code == 400
    assert not Client.objects.exists()


def test_nan_and_nul_never_reach_the_database(client):
    body = '{"consent": "on", "name": "Ан\\u0000на", "phone": "+79161234567", "x": NaN}'
    assert client.post(URL, body, content_type="application/json").status_code == 400
    body = '{"consent": "on", "name": "Ан\\u0000на", "phone": "+79161234567"}'
    assert client.post(URL, body, content_type="application/json").status_code == 201
    assert Client.objects.get().first_name == "Анна"


def test_a_lead_is_taken_when_the_cache_is_down(client, settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens there
        }
    }
    response = client.post(URL, {"consent": "on", "name": "Анна", "phone": "+79161234567"})
    assert response.status_code == 201
    assert Client.objects.filter(phone="+79161234567").exists()


def test_the_limit_is_per_visitor_behind_the_proxy(client, settings):
    settings.PROXY_COUNT = 1
    settings.CONTACT_FORM_RATE_PER_ADDRESS = 2

    def post(forwarded: str, n: int, remote: str = "127.0.0.1"):
        return client.post(
            URL,
            {"consent": "on", "name": "Анна", "phone": f"+7916123450{n}"},
            REMOTE_ADDR=remote,
            HTTP_X_FORWARDED_FOR=forwarded,
        )

    assert [post("198.51.100.1", n).status_code for n in range(3)] == [201, 201, 429]
    limited = post("198.51.100.1", 3)
    assert limited.status_code == 429
    assert limited.json()["error"] == "Слишком много запросов. Попробуйте позже."
    assert post("198.51.100.2", 4).status_code == 201  # the next visitor is still served
    assert Client.objects.count() == 3


def test_a_spoofed_forwarded_for_from_a_stranger_does_not_open_new_buckets(client, settings):
    settings.PROXY_COUNT = 1
    settings.CONTACT_FORM_RATE_PER_ADDRESS = 2
    codes = [
        client.post(
            URL,
            {"consent": "on", "name": "Анна", "phone": f"+7916123450{n}"},
            REMOTE_ADDR="203.0.113.9",  # not our proxy: its X-Forwarded-For means nothing
            HTTP_X_FORWARDED_FOR=f"198.51.100.{n}",
        ).status_code
        for n in range(3)
    ]
    assert codes == [201, 201, 429]


@pytest.mark.parametrize("consent", [None, "", False])
def test_without_the_consent_box_the_request_is_refused_in_russian(client, consent):
    data = {"name": "Анна", "phone": "+79161234567"}
    if consent is not None:
        data["consent"] = consent
    response = client.post(URL, data, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["errors"]["consent"] == [
        "Отметьте согласие на обработку персональных данных: без него мы не можем принять заявку."
    ]
    assert not Client.objects.exists()
