import pytest
from django.contrib.auth import get_user_model

from crm.tests.factories import ClientFactory, TrainerFactory, stage
from pipeline.models import LostReason
from pipeline.services import stage_move

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    client.force_login(
        get_user_model().objects.create_superuser("boss", "boss@example.com", "pass12345")
    )
    return client


def test_lost_reasons_are_edited_in_admin_and_used_ones_cannot_be_deleted(admin_client):
    used = LostReason.objects.get(name="Дорого")
    stage_move(
        client=ClientFactory(), stage=stage("inactive"), actor=TrainerFactory(), lost_reason=used
    )

    page = admin_client.get("/admin/pipeline/lostreason/")
    assert page.status_code == 200 and "Дорого" in page.content.decode()

    admin_client.post(
        "/admin/pipeline/lostreason/add/", {"name": "Травма", "order": 5, "is_active": "on"}
    )
    assert LostReason.objects.filter(name="Травма", is_active=True).exists()

    assert admin_client.get(f"/admin/pipeline/lostreason/{used.pk}/delete/").status_code == 403
    assert (
        admin_client.get(f"/admin/pipeline/stagemove/?lost_reason__id__exact={used.pk}").status_code
        == 200
    )
