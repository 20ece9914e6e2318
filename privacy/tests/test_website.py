"""The website's consent checkbox ends as a consent record (text version, time, channel)."""

import pytest

from crm.models import Client
from privacy.models import Consent

pytestmark = pytest.mark.django_db
URL = "/api/website/contact-form/"


def test_the_contact_form_records_the_ticked_consent(client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(URL, {"name": "Анна", "phone": "+79161234567", "consent": "on"})
    assert response.status_code == 201
    lead = Client.objects.get(phone="+79161234567")
    consent = Consent.objects.get(client=lead)
    assert (consent.kind, consent.decision, consent.channel) == ("personal", "granted", "website")
    assert consent.policy.version == 1 and consent.at is not None
