from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from crm.tests.factories import ClientFactory, TrainerFactory
from progress import services
from progress.models import ProgressJournal, ProgressPhoto
from progress.selectors import client_progress_get, entries_for, journal_rows

from .factories import ProgressJournalFactory, ProgressTargetFactory, image_bytes

pytestmark = pytest.mark.django_db

D = Decimal


def save(client, period, **values):
    return services.measurement_save(
        client=client, period=period, values={k: D(str(v)) for k, v in values.items()}
    )


@pytest.mark.parametrize(
    ("field", "value", "ok"),
    [
        ("weight", "30", True),
        ("weight", "300", True),
        ("weight", "29.9", False),
        ("weight", "900", False),
        ("waist", "40", True),
        ("waist", "5", False),
        ("waist", "200.1", False),
        ("right_arm", "15", True),
        ("right_arm", "71", False),
        ("left_calf", "19.9", False),
    ],
)
def test_ranges_edges(field, value, ok):
    client = ClientFactory()
    if ok:
        entry, created = save(client, "before", **{field: value})
        assert created and getattr(entry, field) == D(value)
    else:
        with pytest.raises(ValidationError) as error:
            save(client, "before", **{field: value})
        assert field in error.value.message_dict
        assert "должно быть от" in error.value.message_dict[field][0]  # a clear, translated message
        assert not ProgressJournal.objects.exists()


def test_out_of_range_message_names_field_and_range():
    with pytest.raises(ValidationError) as error:
        save(ClientFactory(), "before", waist="5")
    assert error.value.message_dict["waist"] == ["Значение «Талия» должно быть от 40 до 200 см."]


def test_correction_changes_only_given_fields_and_keeps_one_entry():
    client = ClientFactory()
    save(client, "week_1", weight="80", waist="88")
    entry, created = save(client, "week_1", waist="87.5")
    assert not created
    assert (entry.weight, entry.waist) == (D("80.0"), D("87.5"))
    assert ProgressJournal.objects.filter(client=client).count() == 1


def test_invalid_correction_changes_nothing():
    client = ClientFactory()
    save(client, "week_1", weight="80", waist="88")
    with pytest.raises(ValidationError):
        save(client, "week_1", weight="79", waist="5")
    entry = ProgressJournal.objects.get(client=client)
    assert (entry.weight, entry.waist) == (D("80.0"), D("88.0"))


def test_new_entry_needs_a_measurement_and_a_known_period():
    client = ClientFactory()
    with pytest.raises(ValidationError):
        services.measurement_save(client=client, period="before", values={"weight": None})
    with pytest.raises(ValidationError):
        save(client, "week_13", weight="80")
    with pytest.raises(ValidationError):
        save(client, "before", height="180")


def test_database_refuses_duplicates_and_out_of_range_values():
    entry = ProgressJournalFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        ProgressJournal.objects.create(client=entry.client, period="before", weight=D("80"))
    with pytest.raises(IntegrityError), transaction.atomic():
        ProgressJournal.objects.create(client=entry.client, period="week_1", waist=D("5"))


def test_changes_from_previous_and_from_before_with_good_directions():
    client = ClientFactory(goal="weight_loss")
    save(client, "before", weight="82", waist="90", right_arm="30")
    save(client, "week_1", weight="81", right_arm="31")  # no waist this week
    save(client, "week_2", weight="81.5", waist="87", right_arm="30.5")
    rows = journal_rows(entries=entries_for(client=client), goal=client.goal)
    weight, waist, arm = (
        next(c for c in rows[2].cells if c.metric.field == name)
        for name in ("weight", "waist", "right_arm")
    )
    assert (weight.from_previous, weight.previous_tone) == (D("0.5"), "bad")
    assert (weight.from_before, weight.before_tone) == (D("-0.5"), "good")
    # waist was skipped in week 1: the change is from the previous entry that has it
    assert (waist.from_previous, waist.from_before, waist.before_tone) == (D(-3), D(-3), "good")
    assert (arm.from_previous, arm.previous_tone) == (D("-0.5"), "bad")
    assert (arm.from_before, arm.before_tone) == (D("0.5"), "good")
    first_row = {c.metric.field: c for c in rows[0].cells}
    assert first_row["weight"].from_previous is None and first_row["weight"].from_before is None


def test_weight_gain_is_good_for_muscle_gain():
    client = ClientFactory(goal="muscle_gain")
    save(client, "before", weight="70")
    save(client, "week_4", weight="72")
    rows = journal_rows(entries=entries_for(client=client), goal=client.goal)
    cell = next(c for c in rows[1].cells if c.metric.field == "weight")
    assert cell.before_tone == "good"


def test_periods_sort_by_the_programme_not_by_text():
    client = ClientFactory()
    for period in ("week_10", "after", "week_2", "before"):
        save(client, period, weight="80")
    assert [e.period for e in entries_for(client=client)] == [
        "before",
        "week_2",
        "week_10",
        "after",
    ]


def test_bmi_targets_and_progress_toward_them():
    client = ClientFactory(height_cm=180, weight_kg=D("90"))
    save(client, "before", weight="84", waist="92")
    entry, _ = save(client, "week_3", weight="81", waist="90")
    ProgressTargetFactory(client=client, metric="weight", value=D("72"))
    services.target_set(client=client, metric="waist", value=D("82"))
    progress = client_progress_get(client=client)
    assert progress.bmi.value == D("25.0") and progress.bmi.measured_on == entry.measured_on
    assert progress.bmi.category == "over"
    weight, waist = progress.targets
    assert (weight.start, weight.current, weight.remaining, weight.percent) == (
        D(84),
        D(81),
        D(-9),
        25,
    )
    assert waist.percent == 20
    services.target_set(client=client, metric="waist", value=None)
    assert [t.metric.field for t in client_progress_get(client=client).targets] == ["weight"]
    with pytest.raises(ValidationError):
        services.target_set(client=client, metric="waist", value=D("5"))


def test_bmi_falls_back_to_questionnaire_weight_without_entries():
    progress = client_progress_get(client=ClientFactory(height_cm=170, weight_kg=D("65")))
    assert progress.bmi.value == D("22.5") and progress.bmi.measured_on is None
    assert client_progress_get(client=ClientFactory(height_cm=None)).bmi is None


class Recorder:
    def __init__(self):
        self.calls = []

    def __call__(self, name, *args, **kwargs):
        self.calls.append((name, kwargs))
        return True


def test_bot_entry_notifies_staff(monkeypatch):
    enqueue = Recorder()
    monkeypatch.setattr("crm.notifications.enqueue_on_commit", enqueue)
    client = ClientFactory(first_name="Анна", last_name="Котова")
    services.measurement_save(
        client=client, period="before", values={"weight": D(60)}, source="bot"
    )
    [(name, kwargs)] = enqueue.calls
    assert name == "botapp.staff_notify" and "Анна Котова" in kwargs["text"]
    save(client, "week_1", weight="59")  # the trainer's own web entry: no notification
    assert len(enqueue.calls) == 1


def test_photos_are_checked_stored_under_media_root_and_deleted(
    settings, tmp_path, django_capture_on_commit_callbacks
):
    settings.MEDIA_ROOT = tmp_path
    client = ClientFactory()
    photo = services.photo_add(client=client, pose="front", content=image_bytes("PNG"))
    path = tmp_path / photo.image.name
    assert path.exists() and photo.content_type == "image/png"
    assert str(client.pk) in photo.image.name and "photo" not in path.name
    with pytest.raises(ValidationError):
        services.photo_add(client=client, pose="front", content=b"%PDF-1.4 not an image")
    with pytest.raises(ValidationError):
        services.photo_add(client=client, pose="top", content=image_bytes())
    assert ProgressPhoto.objects.count() == 1
    with django_capture_on_commit_callbacks(execute=True):
        services.photo_delete(photo=photo)
    assert not path.exists() and not ProgressPhoto.objects.exists()


def test_report_send_enqueues_the_bots_document_task(settings, tmp_path, monkeypatch):
    settings.MEDIA_ROOT = tmp_path
    enqueue = Recorder()
    monkeypatch.setattr("progress.services.enqueue_on_commit", enqueue)
    client = ClientFactory()
    save(client, "before", weight="80")
    assert services.report_send(client=client, comment="Молодец", actor=TrainerFactory())
    [(name, kwargs)] = enqueue.calls
    assert name == "botapp.send_document" and kwargs["client_id"] == client.pk
    assert kwargs["path"].startswith(f"progress/reports/{client.pk}/")  # a storage name
    assert (tmp_path / kwargs["path"]).read_bytes().startswith(b"%PDF-")


def test_report_send_without_bot_task_leaves_no_file(settings, tmp_path, monkeypatch):
    settings.MEDIA_ROOT = tmp_path
    client = ClientFactory()
    save(client, "before", weight="80")
    # No bot installed (the task is not registered): nothing is sent, nothing is kept.
    monkeypatch.setattr("progress.services.enqueue_on_commit", lambda name, **kwargs: False)
    assert services.report_send(client=client, comment="") is False
    assert not list(tmp_path.rglob("*.pdf"))
    assert services.report_send(client=ClientFactory(telegram_id=None), comment="") is False


def test_measured_on_is_kept_when_not_given():
    client = ClientFactory()
    services.measurement_save(
        client=client, period="before", values={"weight": D(80)}, measured_on=date(2026, 1, 5)
    )
    entry, _ = save(client, "before", waist="90")
    assert entry.measured_on == date(2026, 1, 5)


def test_one_entry_per_client_program_and_period():
    from programs.tests.factories import TrainingProgramFactory

    client = ClientFactory()
    first, second = TrainingProgramFactory.create_batch(2, client=client, kind="paid")
    for program in (first, second, None):
        services.measurement_save(
            client=client, program=program, period="before", values={"weight": D(80)}
        )
    assert ProgressJournal.objects.filter(client=client, period="before").count() == 3
    for program in (first, None):  # the database refuses a second one, with or without program
        with pytest.raises(IntegrityError), transaction.atomic():
            ProgressJournal.objects.create(
                client=client, program=program, period="before", weight=D(81)
            )
    with pytest.raises(ValidationError):
        services.measurement_save(
            client=ClientFactory(), program=first, period="before", values={"weight": D(80)}
        )
