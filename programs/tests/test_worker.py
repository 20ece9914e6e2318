import pytest

from crm.tests.factories import ClientFactory
from programs.models import TrainingProgram
from programs.services import templates_ensure_loaded
from programs.tasks import program_generate_task

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def test_a_real_worker_generates_the_program_and_its_pdf(live_worker):
    templates_ensure_loaded()
    client = ClientFactory(
        first_name="Олег",
        gender="male",
        goal="strength",
        experience="advanced",
        location="gym",
        training_days_per_week=5,
    )

    args = (client.pk, "paid", "payment:42")
    program_id = program_generate_task.apply_async(args, ignore_result=False).get(timeout=120)
    again = program_generate_task.apply_async(args, ignore_result=False).get(timeout=120)

    program = TrainingProgram.objects.get(pk=program_id)
    assert again == program_id and TrainingProgram.objects.filter(client=client).count() == 1
    assert program.template_code == "M-A-ST-GYM-5" and program.weeks == 12
    assert program.pdf and program.pdf.storage.exists(program.pdf.name)
