from datetime import date, timedelta
from decimal import Decimal

import pytest

from crm.tests.factories import ClientFactory
from progress import services
from progress.checkin import (
    checkin_answer,
    checkin_open,
    checkin_period,
    checkin_photo,
    checkin_start,
    checkin_wants_photo,
)
from progress.metrics import METRICS
from progress.models import CheckinSession, ProgressJournal, ProgressPhoto

from .factories import image_bytes

pytestmark = pytest.mark.django_db


def answer_all(client, answers):
    reply = None
    for text in answers:
        reply = checkin_answer(client=client, text=text)
    return reply


def test_first_checkin_is_before_then_weeks_from_its_date_then_after():
    client = ClientFactory()
    today = date(2026, 11, 22)
    assert checkin_period(client=client, today=today) == "before"
    services.measurement_save(
        client=client, period="before", values={"weight": Decimal(80)}, measured_on=today
    )
    assert checkin_period(client=client, today=today) == "week_1"
    assert checkin_period(client=client, today=today + timedelta(days=7)) == "week_1"
    assert checkin_period(client=client, today=today + timedelta(days=8)) == "week_2"
    assert checkin_period(client=client, today=today + timedelta(days=84)) == "week_12"
    assert checkin_period(client=client, today=today + timedelta(days=85)) == "after"


def test_walks_through_every_metric_with_skips_and_saves_the_weeks_entry(monkeypatch):
    sent = []
    monkeypatch.setattr(
        "crm.notifications.enqueue_on_commit", lambda name, **kw: sent.append((name, kw)) or True
    )
    client = ClientFactory(first_name="Олег", last_name="Сидоров", goal="weight_loss")
    services.measurement_save(
        client=client,
        period="before",
        values={"weight": Decimal(90), "waist": Decimal(100)},
        measured_on=date.today() - timedelta(days=10),
    )
    reply = checkin_start(client=client)
    assert "неделя 2" in reply.text and "Вес, кг" in reply.text and "Пропустить" in reply.buttons
    assert checkin_open(client=client)
    # weight, chest (skipped), waist, then skip the rest
    answers = ["88,5", "Пропустить", "97 см"] + ["пропустить"] * (len(METRICS) - 3)
    reply = answer_all(client, answers)
    assert not reply.done and "Фото спереди" in reply.text  # saved; photos are asked next
    entry = ProgressJournal.objects.get(client=client, period="week_2")
    assert (entry.weight, entry.chest, entry.waist, entry.source) == (
        Decimal("88.5"),
        None,
        Decimal(97),
        "bot",
    )
    assert "Вес, кг: 88,5 (−1,5 с начала)" in reply.text
    assert "Талия, см: 97 (−3 с начала)" in reply.text
    reply = answer_all(client, ["Пропустить"] * 3)
    assert reply.done and reply.text == "Готово!" and not checkin_open(client=client)
    assert [name for name, _ in sent] == ["botapp.staff_notify"]
    assert "Олег Сидоров" in sent[0][1]["text"]


def test_wrong_answers_repeat_the_question_and_save_nothing():
    client = ClientFactory()
    checkin_start(client=client)
    reply = checkin_answer(client=client, text="девяносто")
    assert "Не понял число" in reply.text and "Вес, кг" in reply.text
    reply = checkin_answer(client=client, text="900")
    assert "от 30 до 300" in reply.text and "1/11" in reply.text
    reply = checkin_answer(client=client, text="NaN")
    assert "Не понял число" in reply.text
    session = CheckinSession.objects.get(client=client)
    assert session.step == 0 and session.answers == {}
    reply = checkin_answer(client=client, text="75")
    assert "2/11" in reply.text and "Обхват груди" in reply.text


def test_cancel_drops_the_checkin_and_later_text_is_not_ours():
    client = ClientFactory()
    checkin_start(client=client)
    checkin_answer(client=client, text="80")
    reply = checkin_answer(client=client, text="Отменить")
    assert "не сохранены" in reply.text
    assert not ProgressJournal.objects.exists()
    assert checkin_answer(client=client, text="81") is None


def test_all_skipped_saves_nothing():
    client = ClientFactory()
    checkin_start(client=client)
    reply = answer_all(client, ["-"] * len(METRICS))
    assert "ничего не сохранено" in reply.text and not ProgressJournal.objects.exists()
    assert checkin_wants_photo(client=client)  # photos alone are still welcome


def test_restart_replaces_the_open_checkin_and_survives_in_the_table():
    client = ClientFactory()
    checkin_start(client=client)
    checkin_answer(client=client, text="80")
    checkin_start(client=client)
    assert CheckinSession.objects.filter(client=client, status="open").count() == 1
    assert CheckinSession.objects.get(client=client, status="open").step == 0


def test_checkin_for_an_existing_week_corrects_it():
    client = ClientFactory()
    start = date.today() - timedelta(days=3)
    services.measurement_save(
        client=client, period="before", values={"weight": Decimal(80)}, measured_on=start
    )
    services.measurement_save(
        client=client, period="week_1", values={"weight": Decimal(79), "waist": Decimal(85)}
    )
    checkin_start(client=client)
    reply = answer_all(client, ["78,5"] + ["-"] * (len(METRICS) - 1))
    entry = ProgressJournal.objects.get(client=client, period="week_1")
    assert (entry.weight, entry.waist) == (Decimal("78.5"), Decimal(85))
    assert "−1,5 с начала" in reply.text


@pytest.mark.parametrize("text", ["1e999999", "Infinity", "80..5", "", "1e5"])
def test_odd_numbers_get_the_question_again(text):
    client = ClientFactory()
    checkin_start(client=client)
    reply = checkin_answer(client=client, text=text)
    assert "1/11" in reply.text and not reply.done


def test_checkin_goes_to_the_current_paid_programs_journal():
    from programs.tests.factories import TrainingProgramFactory

    client = ClientFactory()
    TrainingProgramFactory(client=client, kind="free")
    paid = TrainingProgramFactory(client=client, kind="paid")
    services.measurement_save(client=client, period="before", values={"weight": Decimal(99)})
    reply = checkin_start(client=client)
    assert "«до»" in reply.text  # the paid program's journal starts with its own "before"
    answer_all(client, ["80"] + ["-"] * (len(METRICS) - 1))
    assert ProgressJournal.objects.get(program=paid).period == "before"


def test_photos_front_side_back_after_the_measurements(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    client = ClientFactory()
    checkin_start(client=client)
    assert checkin_photo(client=client, content=image_bytes()) is None  # not at photos yet
    answer_all(client, ["80"] + ["-"] * (len(METRICS) - 1))
    assert checkin_wants_photo(client=client)
    reply = checkin_photo(client=client, content=b"not an image")
    assert "не изображение" in reply.text and "Фото спереди" in reply.text
    reply = checkin_photo(client=client, content=image_bytes())
    assert reply.text.startswith("Фото сохранено. Фото сбоку")
    reply = checkin_answer(client=client, text="привет")
    assert "Пришлите фото картинкой" in reply.text
    checkin_answer(client=client, text="Пропустить")  # side
    reply = checkin_photo(client=client, content=image_bytes("PNG"))  # back
    assert reply.done and "Фото прогресса сохранены" in reply.text
    assert sorted(ProgressPhoto.objects.values_list("pose", "source")) == [
        ("back", "bot"),
        ("front", "bot"),
    ]
    assert not checkin_wants_photo(client=client)


def test_cancel_at_the_photos_keeps_the_measurements():
    client = ClientFactory()
    checkin_start(client=client)
    answer_all(client, ["80"] + ["-"] * (len(METRICS) - 1))
    reply = checkin_answer(client=client, text="Отменить")
    assert reply.done and "Замеры сохранены" in reply.text
    assert ProgressJournal.objects.get(client=client).weight == Decimal(80)
