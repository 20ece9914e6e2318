import pytest
from django.urls import reverse

from crm.tests.factories import AdminFactory

from .factories import TrainingProgramFactory

pytestmark = pytest.mark.django_db


def test_admin_pages_for_every_model(client, library):
    program = TrainingProgramFactory()
    template = library.templates.first()
    client.force_login(AdminFactory(is_superuser=True))
    for name, args in [
        ("admin:programs_trainingprogram_changelist", []),
        ("admin:programs_trainingprogram_change", [program.pk]),
        ("admin:programs_programtemplate_changelist", []),
        ("admin:programs_programtemplate_change", [template.pk]),
        ("admin:programs_templateversion_changelist", []),
        ("admin:programs_templateversion_change", [library.pk]),
    ]:
        response = client.get(reverse(name, args=args), {"q": "Жим"} if not args else {})
        assert response.status_code == 200, name


def test_admin_action_renders_pdfs(client):
    program = TrainingProgramFactory()
    client.force_login(AdminFactory(is_superuser=True))
    response = client.post(
        reverse("admin:programs_trainingprogram_changelist"),
        {"action": "render_pdf", "_selected_action": [program.pk]},
        follow=True,
    )
    assert response.status_code == 200
    program.refresh_from_db()
    assert program.pdf and program.pdf_rendered_at
