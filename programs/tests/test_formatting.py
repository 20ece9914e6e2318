import json
import time

import pytest

from programs import services
from programs.formatting import GarbageAnswer, ProgramFacts, format_program, parse_llm_answer
from programs.models import TrainingProgram

from .servers import json_response

FACTS = ProgramFacts(
    client_name="Анна Петрова",
    gender="female",
    goal="toning",
    level="beginner",
    equipment="dumbbells",
    days_per_week=3,
    weeks=1,
    paid=False,
    exercises=["Гоблет-присед с гантелью", "Ягодичный мостик с гантелью"],
)
GOOD = {
    "intro": "Анна, привет! Эта неделя познакомит вас с базовыми движениями с гантелями дома. "
    "Двигайтесь спокойно и следите за техникой.",
    "tips": [
        "Разминайтесь 7–10 минут перед каждой тренировкой.",
        "Пейте воду в течение дня.",
        "Записывайте веса гантелей, чтобы видеть прогресс.",
    ],
}


def completion(content: str) -> dict:
    return {
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "created": 0,
        "model": "local-model",
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": content},
                "finish_reason": "stop",
            }
        ],
        "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
    }


@pytest.fixture
def llm(server, settings):
    settings.LLM_API_BASE_URL = f"{server.url}/v1"
    settings.LLM_API_KEY = "test-key"
    settings.LLM_MODEL = "local-model"
    settings.LLM_TIMEOUT = 0.5
    settings.LLM_MAX_RETRIES = 1
    return server


def test_without_llm_the_deterministic_formatter_writes_the_sections(settings):
    settings.LLM_API_BASE_URL = ""
    result = format_program(FACTS)
    assert result.by == "deterministic" and result.error == ""
    assert result.intro.startswith("Анна, привет!")
    assert "3 раза в неделю" in result.intro
    assert len(result.tips) >= 5


def test_llm_writes_intro_and_tips(llm):
    llm.route(
        "POST",
        "/v1/chat/completions",
        lambda r: json_response(
            completion("```json\n" + json.dumps(GOOD, ensure_ascii=False) + "\n```")
        ),
    )
    result = format_program(FACTS)
    assert result.by == "llm" and result.intro == GOOD["intro"] and result.tips == GOOD["tips"]
    request = llm.requests[0]
    assert request.headers["authorization"] == "Bearer test-key"
    body = request.json()
    assert body["model"] == "local-model"
    assert "Гоблет-присед с гантелью" in body["messages"][1]["content"]


def test_llm_is_retried_once_after_a_server_error(llm):
    answers = iter(
        [
            json_response({"error": {"message": "overloaded"}}, status=503),
            json_response(completion(json.dumps(GOOD, ensure_ascii=False))),
        ]
    )
    llm.route("POST", "/v1/chat/completions", lambda r: next(answers))
    result = format_program(FACTS)
    assert result.by == "llm" and len(llm.requests) == 2


def test_llm_timeout_falls_back(llm):
    def slow(request):
        time.sleep(1.5)
        return json_response(completion(json.dumps(GOOD, ensure_ascii=False)))

    llm.route("POST", "/v1/chat/completions", slow)
    started = time.monotonic()
    result = format_program(FACTS)
    assert time.monotonic() - started < 4
    assert result.by == "deterministic" and "Timeout" in result.error
    assert result.intro.startswith("Анна, привет!")


@pytest.mark.parametrize(
    ("content", "why"),
    [
        ("Конечно! Вот ваша программа: приседания 3x12.", "not JSON"),
        (json.dumps({"intro": "Коротко", "tips": ["a"]}), "intro"),
        (
            json.dumps(
                {**GOOD, "tips": [*GOOD["tips"], "Делайте жим 5 × 5 каждый день"]},
                ensure_ascii=False,
            ),
            "sets × reps",
        ),
        (
            json.dumps({"intro": "Hello! " * 10, "tips": ["Drink water.", "Sleep well."]}),
            "not in Russian",
        ),
        (json.dumps([1, 2]), "not a JSON object"),
    ],
)
def test_garbage_answers_are_refused(llm, content, why):
    with pytest.raises(GarbageAnswer, match=why):
        parse_llm_answer(content)
    llm.route("POST", "/v1/chat/completions", lambda r: json_response(completion(content)))
    result = format_program(FACTS)
    assert result.by == "deterministic" and "unusable answer" in result.error


@pytest.mark.django_db
def test_failed_llm_tells_the_staff_chat(
    llm, library, bot_tasks, django_capture_on_commit_callbacks
):
    from crm.tests.factories import ClientFactory

    llm.route(
        "POST", "/v1/chat/completions", lambda r: json_response({"error": "boom"}, status=500)
    )
    client = ClientFactory(first_name="Ольга", gender="female", goal="weight_loss")
    with django_capture_on_commit_callbacks(execute=True):
        program = services.program_generate(client=client, kind="free", trigger="questionnaire")
    assert program.formatted_by == TrainingProgram.FormattedBy.DETERMINISTIC
    assert "InternalServerError" in program.formatting["error"]
    notices = [kw for name, kw in bot_tasks if name == "botapp.staff_notify"]
    assert len(notices) == 1 and notices[0]["client_id"] == client.pk
    assert "Ольга" in notices[0]["text"]


@pytest.mark.django_db
def test_working_llm_text_lands_in_the_program(
    llm, library, bot_tasks, django_capture_on_commit_callbacks
):
    from crm.tests.factories import ClientFactory

    llm.route(
        "POST",
        "/v1/chat/completions",
        lambda r: json_response(completion(json.dumps(GOOD, ensure_ascii=False))),
    )
    client = ClientFactory(first_name="Анна", gender="female", goal="toning")
    with django_capture_on_commit_callbacks(execute=True):
        program = services.program_generate(client=client, kind="free", trigger="questionnaire")
    assert program.formatted_by == "llm"
    assert program.formatted_text.count(GOOD["intro"]) == 1
    assert not [name for name, _ in bot_tasks if name == "botapp.staff_notify"]
