from decimal import Decimal

import pytest
from django.urls import reverse

from crm.models import User
from crm.tests.factories import ClientFactory, TrainerFactory, UserFactory
from programs.tests.factories import TrainingProgramFactory
from progress import services
from progress.models import ProgressJournal, ProgressPhoto, ProgressTarget

from .factories import ProgressJournalFactory, image_bytes

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def trainer():
    return TrainerFactory()


@pytest.fixture
def client_of(trainer):
    return ClientFactory(trainer=trainer, first_name="Ирина", last_name="Петрова", height_cm=170)


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def url(name, client, *args):
    return reverse(f"progress:{name}", args=[client.pk, *args])


def login(django_client, user):
    django_client.force_login(user)
    return django_client


def entry_data(**values):
    data = {"period": "before", "measured_on": "2026-11-01"}
    data.update(values)
    return data


# --- the page ---------------------------------------------------------------------------------


def test_owner_sees_table_with_coloured_changes_and_charts(client, trainer, client_of):
    services.measurement_save(
        client=client_of, period="before", values={"weight": Decimal(82), "waist": Decimal(90)}
    )
    services.measurement_save(
        client=client_of, period="week_1", values={"weight": Decimal(81), "waist": Decimal(91)}
    )
    response = login(client, trainer).get(url("client-progress", client_of))
    html = response.content.decode()
    assert response.status_code == 200
    assert "Ирина Петрова" in html
    assert 'class="delta good"' in html and ">−1</span>" in html  # weight down: good
    assert 'class="delta bad"' in html and ">+1</span>" in html  # waist up: bad
    assert html.split("<main", 1)[1].count("<svg") == 3  # weight, waist over time + before/now
    assert "style=" not in html.split("<main", 1)[1]  # strict CSP: no inline styles


def test_other_trainer_gets_404_everywhere(client, client_of, media):
    entry = ProgressJournalFactory(client=client_of)
    photo = services.photo_add(client=client_of, pose="front", content=image_bytes())
    login(client, TrainerFactory())
    for name, args in [
        ("client-progress", []),
        ("report-download", []),
        ("photo-file", [photo.pk]),
    ]:
        assert client.get(url(name, client_of, *args)).status_code == 404
    for name, args, data in [
        ("entry-save", [], entry_data(weight="80")),
        ("entry-delete", [entry.pk], {}),
        ("target-save", [], {"metric": "weight", "value": "70"}),
        ("photo-delete", [photo.pk], {}),
        ("report-send", [], {"comment": ""}),
    ]:
        assert client.post(url(name, client_of, *args), data).status_code == 404
    assert ProgressJournal.objects.get().weight == Decimal("82.0")
    assert ProgressPhoto.objects.count() == 1 and not ProgressTarget.objects.exists()


def test_read_only_sees_but_gets_403_on_every_change(client, client_of, media):
    entry = ProgressJournalFactory(client=client_of)
    photo = services.photo_add(client=client_of, pose="front", content=image_bytes())
    login(client, UserFactory(role=User.Role.READ_ONLY))
    page = client.get(url("client-progress", client_of))
    assert page.status_code == 200 and "Сохранить замеры" not in page.content.decode()
    assert client.get(url("photo-file", client_of, photo.pk)).status_code == 200
    for name, args, data in [
        ("entry-save", [], entry_data(weight="80")),
        ("entry-delete", [entry.pk], {}),
        ("target-save", [], {"metric": "weight", "value": "70"}),
        ("photo-upload", [], {"pose": "front", "taken_on": "2026-11-01"}),
        ("photo-delete", [photo.pk], {}),
        ("report-send", [], {"comment": ""}),
    ]:
        assert client.post(url(name, client_of, *args), data).status_code == 403
    assert ProgressJournal.objects.get().weight == Decimal("82.0")
    assert ProgressPhoto.objects.count() == 1


def test_anonymous_is_sent_to_login(client, client_of):
    response = client.get(url("client-progress", client_of))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


@pytest.mark.parametrize("entries", [1, 12])
def test_page_query_count_is_constant(
    client, trainer, client_of, media, entries, django_assert_num_queries
):
    for week in range(entries):
        ProgressJournalFactory(
            client=client_of, period="before" if week == 0 else f"week_{week}", weight=80 - week
        )
        services.photo_add(client=client_of, pose="front", content=image_bytes())
    services.target_set(client=client_of, metric="weight", value=Decimal(70))
    for _ in range(entries):
        TrainingProgramFactory(client=client_of, kind="paid")
    login(client, trainer)
    # session, user, client, programs, entries, targets, photos
    with django_assert_num_queries(7):
        response = client.get(url("client-progress", client_of) + "?metric=weight&metric=waist")
    assert response.status_code == 200
    assert response.content.decode().count('class="photo"') == entries


# --- adding and correcting ---------------------------------------------------------------------


def test_htmx_add_then_correct_any_subset(client, trainer, client_of):
    login(client, trainer)
    response = client.post(
        url("entry-save", client_of), entry_data(weight="82,5", waist="91"), **HTMX
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="journal"' in html and "<html" not in html
    assert "Замеры за период «До» сохранены." in html
    response = client.post(
        url("entry-save", client_of), entry_data(chest="101,2", notes="после отпуска"), **HTMX
    )
    entry = ProgressJournal.objects.get(client=client_of)
    assert (entry.weight, entry.waist, entry.chest) == (
        Decimal("82.5"),
        Decimal(91),
        Decimal("101.2"),
    )
    assert entry.notes == "после отпуска" and entry.created_by == trainer
    assert "исправлены" in response.content.decode()


def test_out_of_range_value_is_refused_with_a_clear_message(client, trainer, client_of):
    login(client, trainer)
    response = client.post(
        url("entry-save", client_of), entry_data(weight="900", waist="5"), **HTMX
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "Значение «Вес» должно быть от 30 до 300 кг." in html
    assert "Значение «Талия» должно быть от 40 до 200 см." in html
    assert 'value="900"' in html  # what the trainer typed is kept
    assert not ProgressJournal.objects.exists()


def test_empty_new_entry_and_future_date_are_refused(client, trainer, client_of):
    login(client, trainer)
    html = client.post(url("entry-save", client_of), entry_data(), **HTMX).content.decode()
    assert "Введите хотя бы один замер." in html
    html = client.post(
        url("entry-save", client_of), entry_data(weight="80", measured_on="2999-01-01"), **HTMX
    ).content.decode()
    assert "Дата не может быть в будущем." in html
    assert not ProgressJournal.objects.exists()


def test_without_htmx_post_redirects_back(client, trainer, client_of):
    login(client, trainer)
    response = client.post(url("entry-save", client_of), entry_data(weight="80"))
    assert response.status_code == 302 and response["Location"] == url("client-progress", client_of)
    assert client.post(url("entry-save", client_of), entry_data(weight="9")).status_code == 422


def test_correct_link_prefills_the_period(client, trainer, client_of):
    ProgressJournalFactory(client=client_of, period="week_3", weight=Decimal("77.5"))
    login(client, trainer)
    response = client.get(
        url("client-progress", client_of) + "?period=week_3", HTTP_HX_TARGET="entry-form", **HTMX
    )
    html = response.content.decode()
    assert 'id="entry-form"' in html and 'id="journal"' not in html
    assert 'value="77,5"' in html and '<option value="week_3" selected>' in html


def test_charts_follow_the_chosen_metrics(client, trainer, client_of):
    ProgressJournalFactory(client=client_of, chest=Decimal(100))
    ProgressJournalFactory(client=client_of, period="week_1", weight=80, chest=Decimal(99))
    login(client, trainer)
    html = client.get(
        url("client-progress", client_of) + "?metric=chest", HTTP_HX_TARGET="charts", **HTMX
    ).content.decode()
    assert 'data-metric="chest"' in html and 'data-metric="weight"' not in html


def test_delete_entry(client, trainer, client_of):
    entry = ProgressJournalFactory(client=client_of)
    login(client, trainer)
    client.post(url("entry-delete", client_of, entry.pk), **HTMX)
    assert not ProgressJournal.objects.exists()


def test_target_set_and_refused(client, trainer, client_of):
    ProgressJournalFactory(client=client_of)
    login(client, trainer)
    html = client.post(
        url("target-save", client_of), {"metric": "weight", "value": "72"}, **HTMX
    ).content.decode()
    assert ProgressTarget.objects.get().value == Decimal(72)
    assert "Цель сохранена." in html and "82 → 72 кг" in html
    html = client.post(
        url("target-save", client_of), {"metric": "waist", "value": "5"}, **HTMX
    ).content.decode()
    assert "Значение «Талия» должно быть от 40 до 200 см." in html
    assert ProgressTarget.objects.count() == 1


# --- photos ------------------------------------------------------------------------------------


def test_photo_upload_view_and_delete(client, trainer, client_of, media):
    from django.core.files.uploadedfile import SimpleUploadedFile

    login(client, trainer)
    upload = SimpleUploadedFile("me.jpg", image_bytes(), content_type="image/jpeg")
    html = client.post(
        url("photo-upload", client_of),
        {"pose": "side", "taken_on": "2026-11-01", "image": upload},
        **HTMX,
    ).content.decode()
    photo = ProgressPhoto.objects.get()
    assert "Фото добавлено." in html and url("photo-file", client_of, photo.pk) in html
    response = client.get(url("photo-file", client_of, photo.pk))
    assert response.status_code == 200 and response["Content-Type"] == "image/jpeg"
    assert b"".join(response.streaming_content) == (media / photo.image.name).read_bytes()
    assert "private" in response["Cache-Control"]
    fake = SimpleUploadedFile("x.jpg", b"<script>alert(1)</script>", content_type="image/jpeg")
    html = client.post(
        url("photo-upload", client_of),
        {"pose": "side", "taken_on": "2026-11-01", "image": fake},
        **HTMX,
    ).content.decode()
    assert "не изображение JPEG, PNG или WebP" in html and ProgressPhoto.objects.count() == 1
    client.post(url("photo-delete", client_of, photo.pk), **HTMX)
    assert not ProgressPhoto.objects.exists()


def test_photo_of_another_client_is_404_even_for_its_owner(client, trainer, client_of, media):
    other = ClientFactory(trainer=trainer)
    photo = services.photo_add(client=other, pose="back", content=image_bytes())
    login(client, trainer)
    assert client.get(url("photo-file", client_of, photo.pk)).status_code == 404
    assert client.get(url("photo-file", other, photo.pk)).status_code == 200


def test_media_is_not_served_by_any_url(client, trainer, client_of, media):
    photo = services.photo_add(client=client_of, pose="back", content=image_bytes())
    login(client, trainer)
    assert client.get(f"/media/{photo.image.name}").status_code == 404


# --- report ------------------------------------------------------------------------------------


def test_report_download_is_a_pdf(client, trainer, client_of):
    ProgressJournalFactory(client=client_of)
    login(client, trainer)
    response = client.get(url("report-download", client_of), {"comment": "Отлично"})
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF-") and "attachment" in response["Content-Disposition"]


def test_report_send(client, trainer, client_of, media, monkeypatch, settings):
    settings.TELEGRAM_BOT_TOKEN = "123:token"
    ProgressJournalFactory(client=client_of)
    login(client, trainer)
    html = client.post(url("report-send", client_of), {"comment": ""}, **HTMX).content.decode()
    assert "Отчёт отправляется клиенту в Telegram." in html
    assert len(list(media.rglob("*.pdf"))) == 1
    monkeypatch.setattr("progress.services.enqueue_on_commit", lambda name, **kwargs: False)
    html = client.post(url("report-send", client_of), {"comment": ""}, **HTMX).content.decode()
    assert "Отчёт не удалось поставить в очередь" in html


def test_report_send_says_the_bot_is_off(client, trainer, client_of, media, settings):
    settings.TELEGRAM_BOT_TOKEN = ""
    ProgressJournalFactory(client=client_of)
    login(client, trainer)
    html = client.post(url("report-send", client_of), {"comment": ""}, **HTMX).content.decode()
    assert "Бот выключен" in html and "отправляется" not in html
    assert not list(media.rglob("*.pdf"))


# --- analytics ---------------------------------------------------------------------------------


def test_analytics_page(client, trainer):
    login(client, trainer)
    response = client.get(reverse("progress:analytics"))
    assert response.status_code == 200 and "Аналитика прогресса" in response.content.decode()
    assert "90 дней" in response.content.decode()  # the period control, the last 90 days
    wrong = client.get(
        reverse("progress:analytics"), {"date_from": "2026-02-01", "date_to": "2025"}
    )
    assert wrong.status_code == 200 and "Показаны последние 90 дней." in wrong.content.decode()


# --- one journal per program ---------------------------------------------------------------------


def test_entries_go_to_the_shown_programs_journal(client, trainer, client_of):
    old = TrainingProgramFactory(client=client_of, kind="paid", title="Первая программа")
    new = TrainingProgramFactory(client=client_of, kind="paid", title="Вторая программа")
    ProgressJournalFactory(client=client_of, program=old, weight=Decimal(90))
    login(client, trainer)
    html = client.get(url("client-progress", client_of)).content.decode()
    assert "Первая программа" in html and "Вторая программа" in html  # the journal picker
    assert f'name="program" value="{old.pk}"' in html  # opens the journal measured last
    client.post(
        url("entry-save", client_of), {**entry_data(weight="85"), "program": str(new.pk)}, **HTMX
    )
    assert ProgressJournal.objects.get(program=new).weight == Decimal(85)
    assert ProgressJournal.objects.get(program=old).weight == Decimal(90)
    html = client.get(
        url("client-progress", client_of) + f"?program={new.pk}", HTTP_HX_TARGET="journal", **HTMX
    ).content.decode()
    assert ">85</span>" in html and ">90</span>" not in html
    # every form of the swapped journal (entry, charts, report) now names the new program
    assert f'name="program" value="{new.pk}"' in html
    assert f'name="program" value="{old.pk}"' not in html
    assert 'id="report"' in html


def test_another_clients_program_is_refused(client, trainer, client_of):
    stranger = TrainingProgramFactory(kind="paid")
    login(client, trainer)
    html = client.post(
        url("entry-save", client_of),
        {**entry_data(weight="85"), "program": str(stranger.pk)},
        **HTMX,
    ).content.decode()
    assert "Эта программа принадлежит другому клиенту." in html
    assert not ProgressJournal.objects.exists()


def test_before_and_now_photos_side_by_side(client, trainer, client_of, media):
    from datetime import date

    old = services.photo_add(
        client=client_of, pose="front", content=image_bytes("PNG"), taken_on=date(2026, 9, 1)
    )
    services.photo_add(
        client=client_of, pose="front", content=image_bytes("PNG"), taken_on=date(2026, 10, 1)
    )
    new = services.photo_add(
        client=client_of, pose="front", content=image_bytes("PNG"), taken_on=date(2026, 11, 1)
    )
    services.photo_add(  # one date only: nothing to compare
        client=client_of, pose="side", content=image_bytes("PNG"), taken_on=date(2026, 11, 1)
    )
    body = login(client, trainer).get(url("client-progress", client_of)).content.decode()
    pair = body.split('<figure class="photo-compare">')
    assert len(pair) == 2  # one pose to compare: the front
    pair = pair[1].split("</figure>\n  </div>")[0]
    assert f"/photos/{old.pk}/" in pair and f"/photos/{new.pk}/" in pair
    assert pair.index(f"/photos/{old.pk}/") < pair.index(f"/photos/{new.pk}/")  # before, then now
    assert "01.09.2026" in pair and "01.11.2026" in pair
