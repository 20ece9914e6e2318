import io

import pytest
from django.urls import reverse
from pypdf import PdfReader

from crm.models import User
from crm.tests.factories import AdminFactory, ClientFactory, TrainerFactory, UserFactory
from programs.models import TemplateVersion, TrainingProgram

from .factories import TrainingProgramFactory

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def trainer():
    return TrainerFactory()


@pytest.fixture
def other_trainer():
    return TrainerFactory()


@pytest.fixture
def program(trainer):
    return TrainingProgramFactory(client=ClientFactory(trainer=trainer, first_name="Игорь"))


@pytest.fixture
def readonly():
    return UserFactory(role=User.Role.READ_ONLY)


def pdf_text(response) -> str:
    data = b"".join(response.streaming_content)
    return " ".join(" ".join(p.extract_text() for p in PdfReader(io.BytesIO(data)).pages).split())


# --- ownership pairs ----------------------------------------------------------------------------

OBJECT_GETS = [
    ("programs:program-detail", lambda p: [p.pk]),
    ("programs:program-pdf", lambda p: [p.pk]),
    ("programs:exercise-row", lambda p: [p.pk, "w1d1e1"]),
    ("programs:exercise-edit", lambda p: [p.pk, "w1d1e1"]),
    ("programs:exercise-add", lambda p: [p.pk, 1, 1]),
]


@pytest.mark.parametrize(("name", "args"), OBJECT_GETS)
def test_owner_sees_and_other_trainer_gets_404(client, program, trainer, other_trainer, name, args):
    url = reverse(name, args=args(program))
    client.force_login(trainer)
    assert client.get(url).status_code in (200, 302)
    client.force_login(other_trainer)
    assert client.get(url).status_code == 404


@pytest.mark.parametrize(
    ("name", "args"),
    [
        ("programs:exercise-edit", lambda p: [p.pk, "w1d1e1"]),
        ("programs:exercise-add", lambda p: [p.pk, 1, 1]),
        ("programs:exercise-delete", lambda p: [p.pk, "w1d1e1"]),
        ("programs:program-send", lambda p: [p.pk]),
    ],
)
def test_changes_are_refused_to_other_trainers_and_read_only(
    client, program, other_trainer, readonly, name, args
):
    url = reverse(name, args=args(program))
    data = {"name": "Взлом", "sets": 1, "reps": "1"}
    client.force_login(other_trainer)
    assert client.post(url, data).status_code == 404
    client.force_login(readonly)
    assert client.post(url, data).status_code == 403
    program.refresh_from_db()
    assert "Взлом" not in str(program.content)


def test_read_only_sees_but_cannot_assign_or_sync(client, program, readonly):
    client.force_login(readonly)
    assert client.get(reverse("programs:program-detail", args=[program.pk])).status_code == 200
    assert client.get(reverse("programs:program-assign")).status_code == 403
    assert client.post(reverse("programs:template-sync")).status_code == 403


# --- list -------------------------------------------------------------------------------------


def test_list_filters_and_scopes(client, trainer, other_trainer):
    mine = TrainingProgramFactory(
        client=ClientFactory(trainer=trainer, first_name="Вера"), kind="paid"
    )
    TrainingProgramFactory(client=ClientFactory(trainer=trainer, first_name="Глеб"), kind="free")
    TrainingProgramFactory(client=ClientFactory(trainer=other_trainer, first_name="Чужой"))
    client.force_login(trainer)
    url = reverse("programs:program-list")
    body = client.get(url).content.decode()
    assert "Вера" in body and "Глеб" in body and "Чужой" not in body
    body = client.get(url, {"kind": "paid"}).content.decode()
    assert "Вера" in body and "Глеб" not in body
    response = client.get(url, {"q": "Глеб"}, HTTP_HX_TARGET="program-results", **HTMX)
    fragment = response.content.decode()
    assert "Глеб" in fragment and "Вера" not in fragment and "<html" not in fragment
    TrainingProgram.objects.filter(pk=mine.pk).update(delivered_at="2026-01-01T10:00:00Z")
    body = client.get(url, {"status": "delivered"}).content.decode()
    assert "Вера" in body and "Глеб" not in body


def _programs(n: int, trainer):
    clients = ClientFactory.create_batch(n, trainer=trainer)
    TrainingProgram.objects.bulk_create(
        [TrainingProgramFactory.build(client=c, assigned_by=trainer) for c in clients]
    )


def test_list_query_count_is_constant(client, trainer, django_assert_num_queries):
    client.force_login(trainer)
    url = reverse("programs:program-list")
    _programs(3, trainer)
    client.get(url)  # warm up the session
    with django_assert_num_queries(4) as small:
        assert client.get(url).status_code == 200
    _programs(60, trainer)
    with django_assert_num_queries(len(small.captured_queries)):
        response = client.get(url, {"page": 2})
    assert response.status_code == 200


def test_list_counts_up_to_the_cap_and_says_how_to_reach_the_rest(client, trainer, monkeypatch):
    """A trainer's programs grow with the business: the list counts at most ROW_CAP of them
    (1,000), pages through those and asks to narrow the filters for the rest."""
    monkeypatch.setattr("ui.paging.ROW_CAP", 60)
    client.force_login(trainer)
    url = reverse("programs:program-list")
    _programs(61, trainer)
    body = client.get(url).content.decode()
    assert "60+ программ" in body and "Страница 1 из 2" in body
    assert "Подходит больше 60: показаны только первые страницы" in body
    TrainingProgram.objects.filter(pk__in=TrainingProgram.objects.values("pk")[:1]).delete()
    body = client.get(url).content.decode()
    assert "60 программ" in body and "60+" not in body and "Подходит больше" not in body


# --- detail, inline edit, PDF -----------------------------------------------------------------


def test_detail_shows_the_program_as_weeks_and_days(client, program, trainer):
    client.force_login(trainer)
    body = client.get(reverse("programs:program-detail", args=[program.pk])).content.decode()
    assert "Приседания со штангой на спине" in body and "3 × 8-10" in body
    assert f'hx-get="/programs/{program.pk}/exercises/w1d1e1/edit/"' in body
    assert f'href="/programs/{program.pk}/exercises/w1d1e1/edit/"' in body
    assert "style=" not in body and "<style" not in body


def test_inline_edit_changes_the_pdf(client, trainer, django_capture_on_commit_callbacks, library):
    from programs import services

    owner_client = ClientFactory(trainer=trainer, first_name="Нина", gender="female")
    program = services.program_generate(client=owner_client, kind="free", trigger="q")
    exercise = program.content["weeks"][0]["days"][0]["exercises"][0]
    client.force_login(trainer)
    edit = reverse("programs:exercise-edit", args=[program.pk, exercise["id"]])

    form = client.get(edit, **HTMX).content.decode()
    assert 'name="name"' in form and exercise["name"] in form and "<html" not in form

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            edit,
            {"name": "Выпады в сторону", "sets": "4", "reps": "12", "rest": "45 сек", "notes": ""},
            **HTMX,
        )
    row = response.content.decode()
    assert (
        response.status_code == 200 and row.strip().startswith("<tr") and "Выпады в сторону" in row
    )
    assert "4 × 12" in row

    pdf = client.get(reverse("programs:program-pdf", args=[program.pk]))
    assert pdf["Content-Type"] == "application/pdf"
    text = pdf_text(pdf)
    assert "Выпады в сторону" in text and "Нина" in text


def test_invalid_edit_keeps_the_form_and_changes_nothing(client, program, trainer):
    client.force_login(trainer)
    edit = reverse("programs:exercise-edit", args=[program.pk, "w1d1e1"])
    response = client.post(edit, {"name": "", "sets": "99", "reps": ""}, **HTMX)
    assert response.status_code == 200 and 'name="sets"' in response.content.decode()
    program.refresh_from_db()
    assert program.content["weeks"][0]["days"][0]["exercises"][0]["sets"] == 3


def test_unknown_exercise_is_404(client, program, trainer):
    client.force_login(trainer)
    assert (
        client.get(reverse("programs:exercise-edit", args=[program.pk, "zzz"])).status_code == 404
    )
    assert client.get(reverse("programs:exercise-add", args=[program.pk, 9, 1])).status_code == 200
    response = client.post(
        reverse("programs:exercise-add", args=[program.pk, 9, 1]),
        {"name": "X", "sets": 1, "reps": "1"},
    )
    assert response.status_code == 404


def test_add_and_remove_rows(client, program, trainer):
    client.force_login(trainer)
    add = reverse("programs:exercise-add", args=[program.pk, 1, 1])
    response = client.post(
        add, {"name": "Подтягивания", "sets": "3", "reps": "макс", "rest": "2 мин"}, **HTMX
    )
    body = response.content.decode()
    assert "Подтягивания" in body and 'id="add-1-1"' in body
    program.refresh_from_db()
    added = program.content["weeks"][0]["days"][0]["exercises"][-1]
    assert (added["name"], added["sets"], added["reps"]) == ("Подтягивания", 3, "макс")
    assert program.pdf_stale

    delete = reverse("programs:exercise-delete", args=[program.pk, added["id"]])
    response = client.post(delete, **HTMX)
    assert response.status_code == 200 and response.content == b""
    client.post(reverse("programs:exercise-delete", args=[program.pk, "w1d1e1"]))
    response = client.post(reverse("programs:exercise-delete", args=[program.pk, "w1d1e2"]), **HTMX)
    assert (
        "at least one exercise" in response.content.decode()
        or "хотя бы" in response.content.decode()
    )
    program.refresh_from_db()
    assert [e["id"] for e in program.content["weeks"][0]["days"][0]["exercises"]] == ["w1d1e2"]


def test_non_htmx_edit_redirects_back(client, program, trainer):
    client.force_login(trainer)
    edit = reverse("programs:exercise-edit", args=[program.pk, "w1d1e1"])
    assert "<html" in client.get(edit).content.decode()
    response = client.post(edit, {"name": "Жим ногами", "sets": "3", "reps": "10"})
    assert response.status_code == 302 and response.url.endswith("#ex-w1d1e1")


def test_seeded_program_pdf_is_rendered_on_first_download(client, program, trainer):
    assert not program.pdf
    client.force_login(trainer)
    response = client.get(reverse("programs:program-pdf", args=[program.pk]))
    assert "Игорь" in pdf_text(response)
    program.refresh_from_db()
    assert program.pdf and not program.pdf_stale


# --- assign -----------------------------------------------------------------------------------


def test_assign_by_hand_sets_assigned_by_and_is_idempotent(client, trainer, library):
    target = ClientFactory(
        trainer=trainer,
        gender="male",
        goal="muscle_gain",
        experience="advanced",
        location="gym",
        training_days_per_week=4,
    )
    client.force_login(trainer)
    url = reverse("programs:program-assign")
    page = client.get(url, {"client": target.pk}).content.decode()
    assert f'value="{target.pk}"' in page
    data = {"client": str(target.pk), "kind": "paid", "template": "", "token": "abc123"}
    response = client.post(url, data)
    program = TrainingProgram.objects.get(client=target)
    assert response.status_code == 302 and response.url == reverse(
        "programs:program-detail", args=[program.pk]
    )
    assert (
        program.assigned_by == trainer
        and program.template_code == "M-A-MG-GYM-4"
        and program.weeks == 12
    )
    client.post(url, data)  # double submit
    assert TrainingProgram.objects.filter(client=target).count() == 1

    chosen = library.templates.get(code="M-B-ST-BW-2")
    client.post(url, {**data, "kind": "free", "template": chosen.pk, "token": "t2"})
    manual = TrainingProgram.objects.get(client=target, kind="free")
    assert manual.template_code == "M-B-ST-BW-2" and manual.selection["reasons"]


def test_assign_refuses_other_trainers_clients(client, trainer, other_trainer, library):
    foreign = ClientFactory(trainer=other_trainer)
    client.force_login(trainer)
    response = client.post(
        reverse("programs:program-assign"),
        {"client": str(foreign.pk), "kind": "free", "token": "x"},
    )
    assert response.status_code == 200 and not TrainingProgram.objects.exists()


# --- template library -------------------------------------------------------------------------


def test_library_page_and_sync_button(client, trainer, settings, server):
    admin = AdminFactory()
    client.force_login(trainer)
    page = client.get(reverse("programs:template-library")).content.decode()
    assert "programs/templates/sync" not in page
    assert client.post(reverse("programs:template-sync")).status_code == 403

    client.force_login(admin)
    response = client.post(reverse("programs:template-sync"), follow=True)
    assert TemplateVersion.objects.get(is_active=True).template_count == 192
    assert (
        "Загружена версия 1" in response.content.decode()
        or "Loaded version 1" in response.content.decode()
    )
    filtered = client.get(
        reverse("programs:template-library"), {"goal": "toning", "gender": "female"}
    )
    body = filtered.content.decode()
    assert "W-I-TN-DB-3" in body and "M-I-TN-DB-3" not in body and "W-I-ST-DB-3" not in body

    server.route(
        "GET", "/bad.csv", lambda r: (200, "text/csv", "program_code,level\nX,новичок\n".encode())
    )
    settings.PROGRAM_SHEET_CSV_URLS = [f"Men_12w_2={server.url}/bad.csv"]
    response = client.post(reverse("programs:template-sync"), follow=True)
    body = response.content.decode()
    assert "Men_12w_2, row 1: missing columns" in body
    assert TemplateVersion.objects.get(is_active=True).number == 1

    template = TemplateVersion.objects.get(is_active=True).templates.get(code="M-A-ST-GYM-5")
    detail = client.get(reverse("programs:template-detail", args=[template.pk])).content.decode()
    assert "Становая тяга" in detail


# --- client page --------------------------------------------------------------------------------


def test_client_page_section_and_timeline(rf, program, trainer, django_assert_num_queries):
    from django.utils import timezone

    from programs import client_page

    TrainingProgram.objects.filter(pk=program.pk).update(delivered_at=timezone.now())
    request = rf.get("/")
    request.user = trainer
    with django_assert_num_queries(1):
        [section] = client_page.sections(request=request, client=program.client)
    assert reverse("programs:program-detail", args=[program.pk]) in section.html
    assert f"?client={program.client.pk}" in section.html
    with django_assert_num_queries(1):
        items = client_page.timeline(client=program.client, limit=10)
    assert [i.kind for i in items] == ["program", "program"]
    assert items[0].at >= items[1].at and items[0].url.endswith(f"/programs/{program.pk}/")


def test_a_day_is_capped_and_the_reason_is_shown(client, program, trainer):
    from programs.services import MAX_EXERCISES_PER_DAY

    day = program.content["weeks"][0]["days"][0]
    day["exercises"] = [
        {"id": f"e{i}", "name": f"Упражнение {i}", "sets": 3, "reps": "10", "rest": "", "notes": ""}
        for i in range(MAX_EXERCISES_PER_DAY)
    ]
    program.save()
    client.force_login(trainer)
    response = client.post(
        reverse("programs:exercise-add", args=[program.pk, 1, 1]),
        {"name": "Лишнее", "sets": "3", "reps": "10"},
        **HTMX,
    )
    assert response.status_code == 200 and "30" in response.content.decode()
    program.refresh_from_db()
    assert len(program.content["weeks"][0]["days"][0]["exercises"]) == MAX_EXERCISES_PER_DAY


def test_send_to_the_client_through_the_bot(
    client, program, trainer, bot_tasks, django_capture_on_commit_callbacks, settings
):
    settings.TELEGRAM_BOT_TOKEN = "123:token"
    program.client.telegram_id = 5551234
    program.client.save()
    client.force_login(trainer)
    url = reverse("programs:program-send", args=[program.pk])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, follow=True)
    assert "PDF поставлен в очередь" in response.content.decode()
    assert bot_tasks == [("botapp.program_deliver", {"program_id": program.pk})]


@pytest.mark.parametrize(
    ("token", "telegram_id", "says"),
    [("", 5551234, "Бот выключен"), ("123:token", None, "нет чата с ботом")],
)
def test_send_says_what_really_happened(
    client,
    program,
    trainer,
    bot_tasks,
    django_capture_on_commit_callbacks,
    settings,
    token,
    telegram_id,
    says,
):
    settings.TELEGRAM_BOT_TOKEN = token
    program.client.telegram_id = telegram_id
    program.client.save()
    client.force_login(trainer)
    url = reverse("programs:program-send", args=[program.pk])
    with django_capture_on_commit_callbacks(execute=True):
        page = client.post(url, follow=True).content.decode()
    assert says in page and "Скачайте PDF" in page and "в очередь" not in page
    assert bot_tasks == []


# --- weeks as tabs ------------------------------------------------------------------------------


@pytest.fixture
def twelve_weeks(trainer):
    from .factories import small_content

    return TrainingProgramFactory(
        client=ClientFactory(trainer=trainer), weeks=12, content=small_content(weeks=12)
    )


def test_the_page_shows_one_week_the_current_one_by_default(client, trainer, twelve_weeks):
    from datetime import timedelta

    import time_machine
    from django.utils import timezone

    client.force_login(trainer)
    url = reverse("programs:program-detail", args=[twelve_weeks.pk])
    body = client.get(url).content.decode()
    assert 'id="ex-w1d1e1"' in body and 'id="ex-w2d1e1"' not in body
    assert body.count('role="tab"') == 12
    assert 'id="week-tab-1" href' in body and f"{url}?week=2" in body
    twelve_weeks.delivered_at = timezone.now()
    twelve_weeks.save(update_fields=["delivered_at"])
    with time_machine.travel(timezone.now() + timedelta(days=7 * 4 + 2)):  # the fifth week
        client.force_login(trainer)
        page = client.get(url)
    assert page.context["week"]["number"] == 5 and page.context["current_week"] == 5
    with time_machine.travel(timezone.now() + timedelta(days=7 * 30)):  # long over: the last one
        client.force_login(trainer)
        assert client.get(url).context["week"]["number"] == 12


def test_a_week_deep_links_and_loads_as_a_fragment(client, trainer, twelve_weeks, other_trainer):
    client.force_login(trainer)
    url = reverse("programs:program-detail", args=[twelve_weeks.pk])
    body = client.get(f"{url}?week=3").content.decode()
    assert 'id="ex-w3d1e1"' in body and 'id="ex-w1d1e1"' not in body
    assert client.get(f"{url}?week=99").context["week"]["number"] == 1  # unknown: the current
    assert client.get(f"{url}?week=abc").status_code == 200

    fragment = client.get(reverse("programs:program-week", args=[twelve_weeks.pk, 7]), **HTMX)
    text = fragment.content.decode()
    assert fragment.status_code == 200 and "<html" not in text
    assert 'id="ex-w7d1e1"' in text and 'id="ex-w1d1e1"' not in text
    assert 'id="week-tabs" role="tablist"' in text and 'hx-swap-oob="true"' in text
    assert text.split('id="week-tab-7"')[1].split(">")[0].count('aria-selected="true"') == 1
    assert 'href="' + f"{url}?week=6" in text and f"{url}?week=8" in text  # ← week 6, week 8 →

    plain = client.get(reverse("programs:program-week", args=[twelve_weeks.pk, 7]))
    assert plain.status_code == 302 and plain.url == f"{url}?week=7"
    missing = reverse("programs:program-week", args=[twelve_weeks.pk, 13])
    assert client.get(missing, **HTMX).status_code == 404
    client.force_login(other_trainer)
    week = reverse("programs:program-week", args=[twelve_weeks.pk, 7])
    assert client.get(week, **HTMX).status_code == 404


def test_a_day_has_fixed_column_widths_and_no_inline_styles(client, trainer, twelve_weeks):
    client.force_login(trainer)
    body = client.get(reverse("programs:program-detail", args=[twelve_weeks.pk])).content.decode()
    assert (
        '<col class="c-name"><col class="c-sets"><col class="c-rest"><col class="c-actions">'
        in (body)
    )
    assert "style=" not in body


def test_a_non_htmx_edit_goes_back_to_its_week(client, trainer, twelve_weeks):
    client.force_login(trainer)
    edit = reverse("programs:exercise-edit", args=[twelve_weeks.pk, "w4d1e1"])
    response = client.post(edit, {"name": "Жим ногами", "sets": "3", "reps": "10"})
    url = reverse("programs:program-detail", args=[twelve_weeks.pk])
    assert response.status_code == 302 and response.url == f"{url}?week=4#ex-w4d1e1"
