from crm.models import Client, ClientAction


def test_contact_form_answers_with_the_bot_link_and_records_an_action(site, client):
    response = client.post(
        "/api/website/contact-form/",
        data={
            "consent": "on",
            "name": "Анна Петрова",
            "phone": "8 916 123-45-67",
            "message": "Хочу программу",
        },
    )
    assert response.status_code == 201
    body = response.json()
    assert body["bot_link"] == "https://t.me/trainer_test_bot?start=site"
    assert body["bot_link"] in body["message"]
    lead = Client.objects.get(phone="+79161234567")
    action = lead.actions.get()
    assert action.kind == ClientAction.Kind.MESSAGE and action.author is None
    assert "Хочу программу" in action.description and body["bot_link"] in action.description


def test_contact_form_without_a_known_bot_still_thanks(db, client, settings):
    settings.TELEGRAM_BOT_USERNAME = ""
    response = client.post(
        "/api/website/contact-form/",
        data={"consent": "on", "name": "Анна", "email": "anna@example.com"},
    )
    assert response.status_code == 201 and response.json()["bot_link"] == ""
    assert Client.objects.get(email="anna@example.com").actions.count() == 1


def test_bot_username_from_the_environment(db, client, settings):
    settings.TELEGRAM_BOT_USERNAME = "env_fit_bot"
    response = client.post(
        "/api/website/contact-form/",
        data={"consent": "on", "name": "Анна", "email": "anna@example.com"},
    )
    assert response.json()["bot_link"] == "https://t.me/env_fit_bot?start=site"
