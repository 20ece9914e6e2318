import csv
import io
import json

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from django.core.management import call_command
from django.core.management.base import CommandError

from programs import services
from programs.models import ProgramTemplate, TemplateVersion

from .servers import json_response

pytestmark = pytest.mark.django_db

RU_HEADER = [
    "Код программы",
    "Название",
    "Уровень",
    "Цель",
    "Место",
    "Инвентарь",
    "Дней в неделю",
    "Неделя",
    "День",
    "Название дня",
    "Порядок",
    "Упражнение",
    "Подходы",
    "Повторения",
    "Отдых",
    "Темп/заметки",
    "Видео",
]


def sheet(code: str, *, level="Новичок", goal="Похудение", place="Дом", kit="Гантели", weeks=2):
    rows = [list(RU_HEADER)]
    for week in range(1, weeks + 1):
        for day in (1, 2):
            rows.append(
                [
                    code,
                    f"Программа {code}",
                    level,
                    goal,
                    place,
                    kit,
                    "2",
                    str(week),
                    str(day),
                    "Всё тело",
                    "1",
                    "Гоблет-присед с гантелью",
                    "3",
                    "12-15",
                    "60 сек",
                    "темп 3-0-1",
                    "https://example.com/v/1",
                ]
            )
            rows.append(
                [
                    code,
                    f"Программа {code}",
                    level,
                    goal,
                    place,
                    kit,
                    "2",
                    str(week),
                    str(day),
                    "Всё тело",
                    "2",
                    "Тяга гантели в наклоне",
                    str(2 + week),
                    "10",
                    "60 сек",
                    "",
                    "",
                ]
            )
    return rows


def to_csv(rows) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    return buffer.getvalue().encode("utf-8")


def test_bundled_sync_is_versioned_and_idempotent(library):
    again = services.templates_sync(source="bundled")
    assert again.created is False and again.version == library
    assert TemplateVersion.objects.count() == 1


def test_csv_source_through_local_server(server, settings, library):
    server.route(
        "GET", "/men.csv", lambda r: (200, "text/csv", to_csv(sheet("M-CSV-1", level="Средний")))
    )
    server.route("GET", "/women.csv", lambda r: (200, "text/csv", to_csv(sheet("W-CSV-1"))))
    settings.PROGRAM_SHEET_CSV_URLS = [
        f"{server.url}/men.csv",
        f"Women_12w_2={server.url}/women.csv",
    ]

    result = services.templates_sync()

    assert result.created and result.version.source == "csv" and result.version.number == 2
    assert TemplateVersion.objects.get(is_active=True) == result.version
    men = ProgramTemplate.objects.get(version=result.version, code="M-CSV-1")
    assert (men.gender, men.level, men.goal, men.location, men.equipment) == (
        "male",
        "intermediate",
        "weight_loss",
        "home",
        "dumbbells",
    )
    assert men.weeks == 2 and men.exercise_count == 8
    day = men.content["weeks"][1]["days"][0]
    assert day["exercises"][0] == {
        "id": "w2d1e1",
        "name": "Гоблет-присед с гантелью",
        "sets": 3,
        "reps": "12-15",
        "rest": "60 сек",
        "notes": "темп 3-0-1",
        "video": "https://example.com/v/1",
    }
    assert day["exercises"][1]["sets"] == 4
    women = ProgramTemplate.objects.get(version=result.version, code="W-CSV-1")
    assert women.gender == "female"
    assert {r.path for r in server.requests} == {"/men.csv", "/women.csv"}


def test_malformed_sheet_keeps_previous_version_and_names_the_row(server, settings, library):
    rows = sheet("M-BAD-1")
    rows[2][3] = "Похудеть к лету"  # goal, sheet row 3
    rows[4][12] = "три"  # sets, sheet row 5
    server.route("GET", "/men.csv", lambda r: (200, "text/csv", to_csv(rows)))
    settings.PROGRAM_SHEET_CSV_URLS = [f"Men_12w_2={server.url}/men.csv"]

    with pytest.raises(services.TemplateSyncError) as error:
        services.templates_sync()

    problems = error.value.problems
    assert any(p.startswith("Men_12w_2, row 3:") and "Похудеть к лету" in p for p in problems)
    assert any(p.startswith("Men_12w_2, row 5:") and "sets" in p for p in problems)
    assert TemplateVersion.objects.get(is_active=True) == library
    assert TemplateVersion.objects.count() == 1


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        (lambda rows: rows[0].remove("Упражнение"), "row 1: missing columns: exercise"),
        (lambda rows: [r.__setitem__(7, "3") for r in rows[1:5]], "weeks must run 1, 2, 3"),
        (lambda rows: rows[3].__setitem__(2, "Продвинутый"), "was described differently"),
        (lambda rows: rows[1].__setitem__(8, "5"), "day 5 is beyond days_per_week 2"),
        (lambda rows: rows.append(list(rows[1])), "already has an exercise number 1"),
        (lambda rows: rows[1].__setitem__(16, "javascript:alert(1)"), "video must be a link"),
        (lambda rows: rows[1].__setitem__(4, "Зал"), "was described differently"),
    ],
)
def test_sheet_problems_are_explained(server, settings, library, mutate, expected):
    rows = sheet("M-BAD-2")
    mutate(rows)
    server.route("GET", "/men.csv", lambda r: (200, "text/csv", to_csv(rows)))
    settings.PROGRAM_SHEET_CSV_URLS = [f"Men_12w_2={server.url}/men.csv"]
    with pytest.raises(services.TemplateSyncError) as error:
        services.templates_sync()
    assert expected in str(error.value)
    assert TemplateVersion.objects.get(is_active=True) == library


def test_csv_source_failures_are_clear(server, settings, library):
    server.route("GET", "/login", lambda r: (200, "text/html", b"<html>Sign in</html>"))
    settings.PROGRAM_SHEET_CSV_URLS = [f"{server.url}/login"]
    with pytest.raises(services.TemplateSyncError, match="web page, not CSV"):
        services.templates_sync()
    settings.PROGRAM_SHEET_CSV_URLS = [f"{server.url}/missing.csv"]
    with pytest.raises(services.TemplateSyncError, match="could not download"):
        services.templates_sync()
    assert TemplateVersion.objects.get(is_active=True) == library


@pytest.fixture
def service_account(server, tmp_path, settings):
    """A real service-account file whose token endpoint is the local server."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    path = tmp_path / "service-account.json"
    path.write_text(
        json.dumps(
            {
                "type": "service_account",
                "project_id": "test",
                "private_key_id": "k1",
                "private_key": pem,
                "client_email": "crm@test.iam.gserviceaccount.com",
                "client_id": "1",
                "token_uri": f"{server.url}/token",
                # Not Google's universe: google-auth signs its own JWT and looks nothing up on the network.
                "universe_domain": "crm.test",
            }
        )
    )
    server.route(
        "POST",
        "/token",
        lambda r: json_response(
            {"access_token": "local-token", "expires_in": 3600, "token_type": "Bearer"}
        ),
    )
    settings.GOOGLE_SERVICE_ACCOUNT_FILE = str(path)
    settings.PROGRAM_SHEET_KEY = "SHEET123"
    settings.GOOGLE_SHEETS_API_URL = f"{server.url}/v4/spreadsheets"
    return path


def test_gspread_source_through_local_server(server, service_account, library):
    def batch_get(request):
        assert request.headers.get("authorization", "").startswith("Bearer ")
        assert request.query["ranges"] == ["'Men_12w_2'", "'Women_12w_2'"]
        return json_response(
            {
                "spreadsheetId": "SHEET123",
                "valueRanges": [
                    {"range": "'Men_12w_2'!A1:Q9", "values": sheet("M-GS-1", goal="Сила")},
                    {"range": "'Women_12w_2'!A1:Q9", "values": sheet("W-GS-1", goal="Тонус")},
                ],
            }
        )

    server.route("GET", "/v4/spreadsheets/SHEET123/values:batchGet", batch_get)

    call_command("sync_program_templates", stdout=io.StringIO())

    version = TemplateVersion.objects.get(is_active=True)
    assert version.source == "gspread" and version.number == 2
    assert set(version.templates.values_list("code", "goal")) == {
        ("M-GS-1", "strength"),
        ("W-GS-1", "toning"),
    }


def test_gspread_errors_leave_library_untouched(server, service_account, library):
    server.route(
        "GET",
        "/v4/spreadsheets/SHEET123/values:batchGet",
        lambda r: json_response({"error": {"code": 403, "message": "denied"}}, status=403),
    )
    out = io.StringIO()
    with pytest.raises(CommandError, match="Google Sheets"):
        call_command("sync_program_templates", stdout=out)
    assert TemplateVersion.objects.get(is_active=True) == library


def test_command_reports_rows_and_exports_the_bundled_library(tmp_path, library):
    out = io.StringIO()
    call_command("sync_program_templates", "--source", "bundled", stdout=out)
    assert "unchanged" in out.getvalue()
    call_command("sync_program_templates", "--export-csv", str(tmp_path), stdout=out)
    men = (tmp_path / "Men_12w_2.csv").read_text(encoding="utf-8")
    assert men.startswith("program_code,title,level,goal")
    assert "Приседания со штангой на спине" in men
