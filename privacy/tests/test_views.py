"""The client page's personal-data block, the export download and the forget confirmation."""

import zipfile
from io import BytesIO

import pytest

from crm.models import Client
from crm.tests.factories import AdminFactory, ClientFactory, TrainerFactory, UserFactory
from privacy.models import DeletionRequest, PolicyVersion
from privacy.services import consent_record

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _dirs(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PRIVACY_EXPORT_DIR = tmp_path / "exports"


def test_client_page_shows_consents_and_admin_actions(client):
    person = ClientFactory(first_name="Вера")
    consent_record(client=person, kind="personal", decision="granted", channel="telegram")
    client.force_login(AdminFactory())
    page = client.get(f"/clients/{person.pk}/").content.decode()
    assert "Согласен" in page or "Дал" in page or "granted" not in page
    assert f"/clients/{person.pk}/privacy/export/" in page
    assert f"/clients/{person.pk}/privacy/forget/" in page


def test_trainers_see_consents_but_not_the_admin_actions(client):
    trainer = TrainerFactory()
    person = ClientFactory(trainer=trainer)
    client.force_login(trainer)
    page = client.get(f"/clients/{person.pk}/").content.decode()
    assert f"/clients/{person.pk}/privacy/forget/" not in page
    assert client.get(f"/clients/{person.pk}/privacy/export/").status_code == 403
    assert client.get(f"/clients/{person.pk}/privacy/forget/").status_code == 403
    assert (
        client.post(f"/clients/{person.pk}/privacy/forget/", {"confirm": person.pk}).status_code
        == 403
    )
    assert Client.objects.filter(pk=person.pk).exists()


def test_admin_downloads_one_zip_with_everything(client):
    person = ClientFactory(first_name="Вера", phone="+79990001122")
    client.force_login(AdminFactory())
    response = client.get(f"/clients/{person.pk}/privacy/export/")
    assert response.status_code == 200 and response["Content-Type"] == "application/zip"
    body = b"".join(response.streaming_content)
    with zipfile.ZipFile(BytesIO(body)) as archive:
        assert "Вера" in archive.read("README.txt").decode()
        assert "+79990001122" in archive.read("data/crm.client.json").decode()


def test_export_of_an_unknown_client_is_404(client):
    client.force_login(AdminFactory())
    assert client.get("/clients/999999/privacy/export/").status_code == 404


def test_forget_needs_the_typed_number_then_the_client_is_gone(client):
    person = ClientFactory(first_name="Вера")
    client.force_login(AdminFactory())
    page = client.get(f"/clients/{person.pk}/privacy/forget/")
    assert page.status_code == 200
    wrong = client.post(f"/clients/{person.pk}/privacy/forget/", {"confirm": "1234567"})
    assert wrong.status_code == 200 and Client.objects.filter(pk=person.pk).exists()

    done = client.post(f"/clients/{person.pk}/privacy/forget/", {"confirm": f"#{person.pk}"})
    assert done.status_code == 302 and done["Location"] == "/clients/"
    assert not Client.objects.filter(pk=person.pk).exists()
    request = DeletionRequest.objects.get()
    assert request.channel == "staff" and request.requested_by is not None
    assert client.get(f"/clients/{person.pk}/").status_code == 404
    assert client.get(f"/clients/{person.pk}/privacy/forget/").status_code == 404


def test_read_only_users_cannot_forget(client):
    person = ClientFactory()
    client.force_login(UserFactory(role="read_only"))
    assert (
        client.post(f"/clients/{person.pk}/privacy/forget/", {"confirm": person.pk}).status_code
        == 403
    )


def test_policy_page_is_public_and_shows_the_current_versions(client):
    response = client.get("/privacy/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "152-ФЗ" in page and "/forget" in page


def test_admin_edit_of_a_text_publishes_the_next_version(client):
    admin = AdminFactory()
    client.force_login(admin)
    current = PolicyVersion.objects.get(kind="personal", version=1)
    response = client.post(
        f"/admin/privacy/policyversion/{current.pk}/change/",
        {"kind": "personal", "text": "Новая редакция согласия", "policy_url": ""},
    )
    assert response.status_code == 302
    assert PolicyVersion.objects.get(kind="personal", version=1).text == current.text
    newest = PolicyVersion.objects.get(kind="personal", version=2)
    assert newest.text == "Новая редакция согласия" and newest.published_by == admin
