import io

import pytest
from pypdf import PdfReader

from crm.tests.factories import ClientFactory, TrainerFactory, stage
from pipeline.models import StageMove
from programs import services
from programs.models import TrainingProgram
from programs.pdf import RefusedURL, SafeURLFetcher, render_program_pdf
from programs.tasks import program_generate_task

from .factories import TrainingProgramFactory

pytestmark = pytest.mark.django_db


def pdf_text(program: TrainingProgram) -> str:
    program.pdf.open("rb")
    try:
        pages = PdfReader(io.BytesIO(program.pdf.read())).pages
        # Table cells wrap: compare with whitespace collapsed.
        return " ".join(" ".join(page.extract_text() for page in pages).split())
    finally:
        program.pdf.close()


@pytest.fixture
def client_answers():
    trainer = TrainerFactory(first_name="Алексей", last_name="Иванов", phone="+79160000000")
    return ClientFactory(
        first_name="Мария",
        last_name="Соколова",
        gender="female",
        experience="beginner",
        goal="weight_loss",
        location="home",
        equipment="bands",
        training_days_per_week=3,
        trainer=trainer,
    )


def test_new_installation_gets_free_and_paid_programs_without_configuration(client_answers):
    free = services.program_generate(client=client_answers, kind="free", trigger="questionnaire")
    paid = services.program_generate(client=client_answers, kind="paid", trigger="payment:1")

    assert free.template_code == paid.template_code == "W-B-WL-RB-3"
    assert free.selection["exact"] is True
    assert (free.weeks, paid.weeks) == (1, 12)
    assert (free.is_paid, paid.is_paid) == (False, True)
    assert [d["number"] for d in free.content["weeks"][0]["days"]] == [1, 2, 3]
    assert free.formatted_by == "deterministic" and "Мария" in free.formatting["intro"]
    assert "Приседания с резинкой над коленями" in free.formatted_text

    text = pdf_text(paid)
    assert "Мария Соколова" in text
    assert "Приседания с резинкой над коленями" in text
    assert "Неделя 12" in text and "Алексей Иванов" in text
    assert len(PdfReader(paid.pdf.path).pages) > len(PdfReader(free.pdf.path).pages)
    assert paid.pdf.path.startswith(str(paid.pdf.storage.location))
    assert "/private/" in paid.pdf.path


def test_generation_is_idempotent_per_trigger(client_answers):
    first = services.program_generate(client=client_answers, kind="free", trigger="questionnaire")
    again = services.program_generate(client=client_answers, kind="free", trigger="questionnaire")
    other = services.program_generate(client=client_answers, kind="free", trigger="questionnaire:2")
    assert again.pk == first.pk and other.pk != first.pk
    assert TrainingProgram.objects.filter(client=client_answers).count() == 2


def test_a_program_whose_pdf_was_lost_is_rendered_on_the_next_call(client_answers):
    program = services.program_generate(client=client_answers, kind="free", trigger="q")
    TrainingProgram.objects.filter(pk=program.pk).update(pdf="")
    again = services.program_generate(client=client_answers, kind="free", trigger="q")
    assert again.pk == program.pk and again.pdf and "Мария" in pdf_text(again)


def test_unknown_kind_is_refused(client_answers):
    with pytest.raises(services.ProgramError):
        services.program_generate(client=client_answers, kind="vip", trigger="q")


def test_pdf_fetcher_refuses_files_and_outside_hosts():
    fetcher = SafeURLFetcher()
    for url in ["file:///etc/passwd", "https://example.com/x.png", "http://127.0.0.1:8000/"]:
        with pytest.raises(RefusedURL):
            fetcher.fetch(url)
    assert fetcher.fetch("data:text/plain,hi").read() == b"hi"


def test_pdf_with_hostile_content_renders_without_fetching(client_answers):
    program = TrainingProgramFactory(client=client_answers)
    program.content["weeks"][0]["days"][0]["exercises"][0]["name"] = (
        '<img src="file:///etc/passwd"> Присед'
    )
    context = services._pdf_context(program)
    data = render_program_pdf(context)
    text = " ".join(" ".join(p.extract_text() for p in PdfReader(io.BytesIO(data)).pages).split())
    assert '<img src="file:///etc/' in text and "Присед" in text  # escaped, shown as text


def test_editing_an_exercise_re_renders_the_pdf(client_answers, django_capture_on_commit_callbacks):
    program = services.program_generate(client=client_answers, kind="free", trigger="q")
    old_path = program.pdf.path
    first = program.content["weeks"][0]["days"][0]["exercises"][0]
    with django_capture_on_commit_callbacks(execute=True):
        services.program_exercise_update(
            program=program,
            exercise_id=first["id"],
            data=services.ExerciseData(
                name="Зашагивания на скамью",
                sets=4,
                reps="10",
                rest="60 сек",
                notes="Шаг под контролем",
            ),
        )
    program.refresh_from_db()
    assert program.pdf_stale is False
    assert program.content["weeks"][0]["days"][0]["exercises"][0]["name"] == "Зашагивания на скамью"
    text = pdf_text(program)
    assert "Зашагивания на скамью" in text and "4 × 10" in text
    assert "Зашагивания на скамью" in program.formatted_text
    import os

    assert program.pdf.path == old_path or not os.path.exists(old_path)


def test_adding_and_removing_exercises(client_answers, django_capture_on_commit_callbacks):
    program = TrainingProgramFactory(client=client_answers)
    with django_capture_on_commit_callbacks(execute=True):
        added = services.program_exercise_add(
            program=program,
            week=1,
            day=1,
            data=services.ExerciseData(name="Планка на предплечьях", sets=3, reps="40 сек"),
        )
    program.refresh_from_db()
    names = [e["name"] for e in program.content["weeks"][0]["days"][0]["exercises"]]
    assert names[-1] == "Планка на предплечьях" and "Планка на предплечьях" in pdf_text(program)

    services.program_exercise_delete(program=program, exercise_id=added["id"])
    services.program_exercise_delete(program=program, exercise_id="w1d1e1")
    program.refresh_from_db()
    assert program.pdf_stale is True
    with pytest.raises(services.ProgramError):
        services.program_exercise_delete(program=program, exercise_id="w1d1e2")  # the last one
    with pytest.raises(services.ProgramError):
        services.program_exercise_delete(program=program, exercise_id="nope")
    with pytest.raises(services.ProgramError):
        services.program_exercise_add(
            program=program, week=5, day=1, data=services.ExerciseData(name="X", sets=1, reps="1")
        )


def test_a_paid_program_assigned_by_hand_does_not_make_a_client_active():
    client = ClientFactory(stage=stage("consultation"))  # no payment
    services.program_mark_delivered(program=TrainingProgramFactory(client=client, kind="paid"))
    client.refresh_from_db()
    assert client.stage.code == "consultation"
    assert not StageMove.objects.filter(client=client, event="program_delivered").exists()


def test_mark_delivered_moves_a_paid_client_once():
    client = ClientFactory(stage=stage("purchased"))
    paid = TrainingProgramFactory(client=client, kind="paid")
    free = TrainingProgramFactory(client=ClientFactory(stage=stage("consultation")), kind="free")

    assert services.program_mark_delivered(program=paid) is True
    assert services.program_mark_delivered(program=paid) is False
    client.refresh_from_db()
    assert client.stage.code == "active"
    assert StageMove.objects.filter(client=client, event="program_delivered").count() == 1

    assert services.program_mark_delivered(program=free) is True
    free.client.refresh_from_db()
    assert free.client.stage.code == "consultation"


def test_task_hands_the_program_to_the_bot(
    client_answers, bot_tasks, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        program_id = program_generate_task.delay(client_answers.pk, "paid", "payment:7").get()
    program = TrainingProgram.objects.get(pk=program_id)
    assert program.pdf and program.kind == "paid"
    assert bot_tasks == [("botapp.program_deliver", {"program_id": program_id})]


def test_task_for_a_deleted_client_does_nothing():
    assert program_generate_task.delay(999_999, "free", "q").get() is None


def test_a_concurrent_generation_returns_the_first_program(client_answers, monkeypatch):
    """Two workers race for the same trigger: the loser gets the winner's program."""
    from programs import formatting

    real = formatting.format_program
    winner = {}

    def racing_format(facts):
        # The other worker commits its program while this one is still formatting.
        winner["program"] = TrainingProgramFactory(
            client=client_answers, kind="free", trigger="race"
        )
        return real(facts)

    monkeypatch.setattr(services, "format_program", racing_format)
    program = services.program_generate(client=client_answers, kind="free", trigger="race")
    assert program.pk == winner["program"].pk
    assert TrainingProgram.objects.filter(client=client_answers, trigger="race").count() == 1
    assert program.pdf  # the winner had no PDF yet; the loser rendered it


def test_nightly_sync_tells_the_staff_about_a_broken_sheet(
    server, settings, library, bot_tasks, django_capture_on_commit_callbacks
):
    from programs.tasks import templates_sync_task

    assert templates_sync_task.delay().get() == library.number  # unchanged bundled library
    server.route("GET", "/men.csv", lambda r: (200, "text/csv", b"program_code\nX\n"))
    settings.PROGRAM_SHEET_CSV_URLS = [f"Men_12w_2={server.url}/men.csv"]
    with django_capture_on_commit_callbacks(execute=True):
        assert templates_sync_task.delay().get() is None
    [(name, kwargs)] = bot_tasks
    assert name == "botapp.staff_notify" and "Men_12w_2, row 1" in kwargs["text"]
