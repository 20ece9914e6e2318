"""Every model registered in admin has working changelist, add and change pages."""

import pytest
from django.contrib import admin
from django.urls import reverse

from crm.tests.factories import (
    AdminFactory,
    ClientActionFactory,
    ClientContactFactory,
    ClientFactory,
    LeadFactory,
)
from pipeline.services import stage_apply_event

pytestmark = pytest.mark.django_db


@pytest.fixture
def seeded():
    client = ClientFactory(stage=None)
    stage_apply_event(client=client, event="lead_created")
    LeadFactory(client=client)
    ClientActionFactory(client=client)
    ClientContactFactory(client=client)
    return client


def registered_models():
    return [(model._meta.app_label, model._meta.model_name) for model in admin.site._registry]


def test_admin_registers_every_model_of_our_apps():
    from django.apps import apps

    ours = {"crm", "pipeline", "programs", "progress", "payments", "botapp"}
    missing = [
        f"{m._meta.app_label}.{m.__name__}"
        for m in apps.get_models()
        if m._meta.app_label in ours and m not in admin.site._registry
    ]
    assert missing == []


@pytest.mark.parametrize(("app_label", "model_name"), registered_models())
def test_admin_pages_load(client, seeded, app_label, model_name):
    client.force_login(AdminFactory())
    changelist = client.get(reverse(f"admin:{app_label}_{model_name}_changelist"))
    assert changelist.status_code == 200
    model = next(
        m
        for m in admin.site._registry
        if (m._meta.app_label, m._meta.model_name) == (app_label, model_name)
    )
    model_admin = admin.site._registry[model]
    request = changelist.wsgi_request
    if model_admin.has_add_permission(request):
        assert client.get(reverse(f"admin:{app_label}_{model_name}_add")).status_code == 200
    obj = model._default_manager.first()
    if obj is not None:
        change = client.get(reverse(f"admin:{app_label}_{model_name}_change", args=[obj.pk]))
        assert change.status_code == 200
    search = client.get(reverse(f"admin:{app_label}_{model_name}_changelist"), {"q": "Анна"})
    assert search.status_code == 200


def test_client_page_in_admin_shows_inlines_and_read_only_history(client, seeded):
    client.force_login(AdminFactory())
    page = client.get(reverse("admin:crm_client_change", args=[seeded.pk])).content.decode()
    for heading in ("лиды", "действия с клиентами", "контакты с клиентами", "история этапов"):
        assert heading.lower() in page.lower()
    assert "Первичный контакт" in page


def test_history_cannot_be_edited_in_admin(client, seeded):
    from pipeline.models import StageMove

    client.force_login(AdminFactory())
    move = StageMove.objects.get(client=seeded)
    response = client.post(
        reverse("admin:pipeline_stagemove_change", args=[move.pk]), {"notes": "x"}
    )
    assert response.status_code == 403


def test_system_stage_cannot_be_deleted_in_admin(client):
    from pipeline.models import PipelineStage

    client.force_login(AdminFactory())
    stage = PipelineStage.objects.get(code="active")
    response = client.post(
        reverse("admin:pipeline_pipelinestage_delete", args=[stage.pk]), {"post": "yes"}
    )
    assert response.status_code == 403
    assert PipelineStage.objects.filter(pk=stage.pk).exists()


def test_trainers_cannot_open_admin(client):
    from crm.tests.factories import TrainerFactory

    client.force_login(TrainerFactory())
    response = client.get("/admin/")
    assert response.status_code == 302
