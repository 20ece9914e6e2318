import csv
import io
import time
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import TestCase
from django.urls import reverse
from openpyxl import Workbook

from audit.models import Action, AuditEntry
from crm.models import Client, User
from crm.tests.factories import AdminFactory, ClientFactory, TrainerFactory, UserFactory
from desk.exports import IMPORT_HEADER
from desk.imports import MAX_ROWS

from .factories import OperatorFactory

pytestmark = pytest.mark.django_db
NAMES = ['=HYPERLINK("http://evil.example","x")', "+1", "@SUM(1)", "Анна"]


def xlsx(rows: list[list]) -> bytes:
    book = Workbook()
    for row in rows:
        book.active.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def upload(client, content: bytes, name: str = "clients.xlsx", on_duplicate: str = "skip"):
    return client.post(
        reverse("desk:client-import"),
        {"file": SimpleUploadedFile(name, content), "on_duplicate": on_duplicate},
    )


def confirm(client):
    """Confirm the preview; the import task runs after the commit (eagerly in tests, as a worker
    would) and the page it leads to says how it went."""
    with TestCase.captureOnCommitCallbacks(execute=True):
        response = client.post(reverse("desk:client-import"), {"confirm": "1"})
    return client.get(response.url)


def said(response) -> str:
    """The page's messages and its text."""
    messages = " ".join(str(m) for m in response.context["messages"])
    return f"{messages} {response.content.decode()}"


def test_round_trip_export_then_import_gives_the_same_clients(client):
    admin = AdminFactory()
    for n, name in enumerate(NAMES):
        ClientFactory(first_name=name, last_name=f"Фамилия{n}", notes=name, email="")
    client.force_login(admin)
    exported = b"".join(client.get(reverse("desk:client-export")).streaming_content)
    before = sorted(
        Client.objects.values_list(
            "first_name", "last_name", "phone", "telegram_id", "telegram_username", "notes"
        )
    )
    Client.objects.all().delete()

    preview = upload(client, exported)
    assert preview.status_code == 200
    assert "Новых: 4" in preview.content.decode()
    assert not Client.objects.exists()  # the preview writes nothing
    done = confirm(client)
    assert "Импортировано: 4" in said(done)
    after = sorted(
        Client.objects.values_list(
            "first_name", "last_name", "phone", "telegram_id", "telegram_username", "notes"
        )
    )
    assert after == before
    assert AuditEntry.objects.filter(action=Action.IMPORT).count() == 1
    assert all(c.stage and c.leads.exists() for c in Client.objects.all())

    # The same file again: duplicates by phone and Telegram id are skipped, or updated on request.
    Client.objects.filter(first_name="Анна").update(notes="старое")
    upload(client, exported)
    assert "Импортировано: 0 новых клиентов, 0 обновлено, 4 пропущено" in said(confirm(client))
    assert Client.objects.get(first_name="Анна").notes == "старое"
    upload(client, exported, on_duplicate="update")
    confirm(client)
    assert Client.objects.get(first_name="Анна").notes == "Анна"
    assert Client.objects.count() == 4


def test_row_errors_are_listed_in_russian_and_nothing_is_written(client):
    client.force_login(OperatorFactory())
    content = xlsx(
        [
            [str(title) for title in IMPORT_HEADER],
            ["Иван", "", "8 900 123 45 67", "", "", "", "", ""],
            ["", "", "", "", "", "", "", "без имени"],
            ["Пётр", "", "12345", "abc", "", "не почта", "", ""],
            ["Иван-2", "", "+7 900 123-45-67", "", "", "", "", ""],
        ]
    )
    response = upload(client, content)
    page = response.content.decode()
    assert response.status_code == 422
    assert "Укажите хотя бы имя или телефон" in page
    assert "Telegram id должен быть целым положительным числом" in page
    assert "Некорректный адрес электронной почты" in page
    assert "Тот же клиент, что и в строке 2" in page
    assert 'name="confirm"' not in page
    # Confirming without a clean preview imports nothing.
    assert "загрузите файл ещё раз" in said(confirm(client))
    assert not Client.objects.exists()


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("clients.xlsx", b"not a zip at all", "не читается как книга XLSX"),
        ("clients.xlsx", xlsx([["Name", "Phone"], ["Ann", "+79001234567"]]), "Неверный заголовок"),
        ("clients.txt", b"x", "Загрузите файл .xlsx или .csv"),
        ("clients.csv", b"", "пуст"),
        ("clients.csv", "Имя;Телефон\n".encode(), "Файл пустой"),
    ],
)
def test_broken_or_wrong_files_get_a_clear_message(client, name, content, message):
    client.force_login(AdminFactory())
    response = upload(client, content, name=name)
    assert response.status_code == 422
    assert message in response.content.decode()
    assert not Client.objects.exists()


def test_too_many_rows_are_refused_whole(client):
    client.force_login(AdminFactory())
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";")
    writer.writerow(["Имя", "Телефон"])
    for n in range(MAX_ROWS + 1):
        writer.writerow([f"Клиент {n}", ""])
    response = upload(client, buffer.getvalue().encode(), name="big.csv")
    assert "Слишком много строк" in response.content.decode()
    assert not Client.objects.exists()


def test_csv_with_semicolons_imports(client):
    client.force_login(AdminFactory())
    content = "Имя;Фамилия;Телефон\nОльга;Петрова;+7 916 000 11 22\n".encode("cp1251")
    upload(client, content, name="clients.csv")
    confirm(client)
    assert Client.objects.get().phone == "+79160001122"


def test_only_admins_and_operators_import(client):
    for user in (TrainerFactory(), UserFactory(role=User.Role.READ_ONLY)):
        client.force_login(user)
        assert client.get(reverse("desk:client-import")).status_code == 403


def test_column_titles_follow_the_language_and_russian_files_still_import():
    """Titles go through i18n (Russian by default); an import takes the titles of the current
    language and the Russian ones, so a file exported in Russian imports under any language."""
    from django.utils import translation

    from desk.imports import import_plan

    russian = xlsx([[str(title) for title in IMPORT_HEADER], ["Ольга", "", "+79160001122"]])
    with translation.override("en"):
        assert [str(title) for title in IMPORT_HEADER][:3] == ["First name", "Last name", "Phone"]
        english = xlsx([["First name", "Phone"], ["Olga", "+79160001123"]])
        for content in (russian, english):
            plan = import_plan(name="clients.xlsx", content=content)
            assert not plan.errors and plan.count("create") == 1
    assert [str(title) for title in IMPORT_HEADER][:3] == ["Имя", "Фамилия", "Телефон"]


def _one_row_file(phone: str = "+7 916 000 11 22") -> bytes:
    return f"Имя;Телефон\nОльга;{phone}\n".encode()


def test_the_import_runs_in_the_background_and_its_page_follows_it(client):
    from desk.imports import import_run
    from desk.models import ClientImport

    operator = OperatorFactory()
    client.force_login(operator)
    upload(client, _one_row_file(), name="clients.csv")
    stored = ClientImport.objects.get()
    assert stored.status == "previewed" and bytes(stored.content).startswith("Имя".encode())

    queued = client.post(reverse("desk:client-import"), {"confirm": "1"})  # the task not run yet
    status_url = reverse("desk:client-import-status", args=[stored.pk])
    assert queued.url == status_url
    page = client.get(status_url).content.decode()
    assert "Клиенты импортируются" in page and 'hx-trigger="every 2s"' in page
    assert not Client.objects.exists()

    # Another operator's import is not theirs to see.
    client.force_login(OperatorFactory())
    assert client.get(status_url).status_code == 404

    assert import_run(import_id=stored.pk).status == "done"
    assert import_run(import_id=stored.pk) is None  # a redelivered task imports nothing twice
    assert Client.objects.get().phone == "+79160001122"
    stored.refresh_from_db()
    assert stored.counts == {"create": 1, "update": 0, "skip": 0} and bytes(stored.content) == b""

    client.force_login(operator)
    fragment = client.get(status_url, headers={"HX-Request": "true"}).content.decode()
    assert "Импортировано: 1 новых клиентов" in fragment and "hx-trigger" not in fragment


def test_the_import_reads_the_clients_as_they_are_when_it_runs(client):
    """A client added between the preview and the import is a duplicate then: skipped, not twice."""
    client.force_login(AdminFactory())
    upload(client, _one_row_file(), name="clients.csv")
    ClientFactory(phone="+79160001122", first_name="Ольга")
    assert "0 новых клиентов, 0 обновлено, 1 пропущено" in said(confirm(client))
    assert Client.objects.count() == 1


def test_an_unconfirmed_file_does_not_outlive_the_next_upload_or_a_day(client):
    import time_machine
    from django.utils import timezone

    from desk.models import ClientImport

    admin = AdminFactory()
    client.force_login(admin)
    upload(client, _one_row_file(), name="first.csv")
    upload(client, _one_row_file("+7 916 000 11 23"), name="second.csv")
    assert list(ClientImport.objects.values_list("name", flat=True)) == ["second.csv"]
    with time_machine.travel(timezone.now() + timedelta(days=2)):
        client.force_login(OperatorFactory())
        upload(client, _one_row_file(), name="third.csv")  # a day later: the old one goes
    assert list(ClientImport.objects.values_list("name", flat=True)) == ["third.csv"]


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_imports_the_confirmed_file(client, live_worker):
    from desk.models import ClientImport

    client.force_login(AdminFactory())
    upload(client, _one_row_file(), name="clients.csv")
    client.post(reverse("desk:client-import"), {"confirm": "1"})
    stored = ClientImport.objects.get()
    deadline = time.monotonic() + 60
    while ClientImport.objects.get(pk=stored.pk).status == "queued":
        assert time.monotonic() < deadline, "the worker did not import the file"
        time.sleep(0.2)
    assert ClientImport.objects.get(pk=stored.pk).status == "done"
    assert Client.objects.get().phone == "+79160001122"
