"""The bot's weekly check-in as a state machine stored in our table (CheckinSession): one question
per metric, then the measurements are saved and the change since the start is shown, then a photo
front / side / back (each may be skipped).

The bot calls `checkin_start` for `/progress` (or the weekly prompt's button) and hands every text
the client sends to `checkin_answer` while `checkin_open` says a check-in is under way. Both return
the reply to send — text and reply-keyboard buttons — and never talk to Telegram themselves, so any
worker can carry the conversation on and a restart loses nothing.

Texts are Russian content, like the bot's other texts.
"""

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from crm.models import Client
from ui.charts import fmt

from .metrics import METRICS, change_tone, good_direction
from .models import CheckinSession, Period, ProgressJournal, ProgressPhoto
from .selectors import client_progress_get, program_current
from .services import measurement_save, photo_add

SKIP = "Пропустить"
CANCEL = "Отменить"
SKIP_WORDS = {"пропустить", "пропуск", "skip", "-", "—", "нет", "/skip"}
CANCEL_WORDS = {"отменить", "отмена", "cancel", "/cancel", "стоп"}
BUTTONS = [SKIP, CANCEL]


@dataclass(frozen=True)
class CheckinReply:
    text: str
    buttons: list[str] = field(default_factory=list)  # a reply keyboard; empty = remove it
    done: bool = False


def checkin_period(*, client: Client, program=None, today: date | None = None) -> str:
    """The period a check-in today belongs to: "before" for the first one, then the week number
    counted from the "before" date (days 1–7 → week 1 … week 12), "after" past week 12."""
    today = today or timezone.localdate()
    journal = ProgressJournal.objects.filter(client=client, program=program)
    start = journal.filter(period=Period.BEFORE).values_list("measured_on", flat=True).first()
    if start is None:
        if journal.exists():
            start = journal.order_by("measured_on").values_list("measured_on", flat=True).first()
        else:
            return Period.BEFORE
    week = max(1, ((today - start).days + 6) // 7)
    return f"week_{week}" if week <= 12 else Period.AFTER


def _question(session: CheckinSession) -> CheckinReply:
    metric = METRICS[session.step]
    return CheckinReply(
        f"{session.step + 1}/{len(METRICS)}. {metric.question}?\n"
        f"Например: {fmt((metric.low + metric.high) / 2)}. Можно пропустить.",
        BUTTONS,
    )


def checkin_open(*, client: Client) -> bool:
    return CheckinSession.objects.filter(client=client, status=CheckinSession.Status.OPEN).exists()


def checkin_start(*, client: Client, today: date | None = None) -> CheckinReply:
    """Start (or restart from the first question) the client's check-in for this week's period of
    their current program's journal."""
    program = program_current(client=client)
    period = checkin_period(client=client, program=program, today=today)
    with transaction.atomic():
        CheckinSession.objects.filter(client=client, status=CheckinSession.Status.OPEN).update(
            status=CheckinSession.Status.CANCELLED
        )
        try:
            session = CheckinSession.objects.create(client=client, program=program, period=period)
        except IntegrityError:  # a concurrent /progress opened one a moment ago: use it
            session = CheckinSession.objects.get(client=client, status=CheckinSession.Status.OPEN)
    label = Period(period).label
    intro = (
        "Запишем ваши замеры "
        f"({label.lower() if period != Period.BEFORE else 'стартовые, «до»'}). "
        "Отвечайте числом, дробные — через запятую. Любой вопрос можно пропустить."
    )
    question = _question(session)
    return CheckinReply(f"{intro}\n\n{question.text}", BUTTONS)


def _parse(text: str) -> Decimal:
    cleaned = text.strip().lower().replace(",", ".").replace(" ", "")
    for suffix in ("кг", "см", "kg", "cm"):
        cleaned = cleaned.removesuffix(suffix)
    try:
        value = Decimal(cleaned)
        if not value.is_finite() or abs(value) >= 10_000:
            raise ValueError
        return value.quantize(Decimal("0.1"))
    except InvalidOperation as exc:
        raise ValueError from exc


def checkin_answer(*, client: Client, text: str) -> CheckinReply | None:
    """Take the client's answer to the current question; None when no check-in is open.

    A number out of the metric's range (or not a number) gets a short explanation and the same
    question again; "Пропустить" skips it; "Отменить" drops the check-in without saving. After the
    last question the answers are saved as the period's entry (a correction if it exists) and the
    reply lists the change since the start.
    """
    with transaction.atomic():
        session = (
            CheckinSession.objects.select_for_update()
            .filter(client=client, status=CheckinSession.Status.OPEN)
            .first()
        )
        if session is None:
            return None
        answer = (text or "").strip()
        if answer.lower() in CANCEL_WORDS:
            if session.step >= len(METRICS):  # the measurements are saved; only photos are left
                return _close(session, "Хорошо, без фото. Замеры сохранены.")
            session.status = CheckinSession.Status.CANCELLED
            session.save(update_fields=["status", "updated_at"])
            return CheckinReply(
                "Хорошо, замеры не сохранены. Продолжим в другой раз: /progress", []
            )
        if session.step >= len(METRICS):
            if answer.lower() in SKIP_WORDS:
                return _next_photo(session, "")
            return CheckinReply(
                f"Пришлите фото картинкой или нажмите «{SKIP}».\n\n{_photo_question(session)}",
                BUTTONS,
            )
        metric = METRICS[session.step]
        if answer.lower() not in SKIP_WORDS:
            try:
                value = _parse(answer)
            except ValueError:
                return CheckinReply(
                    f"Не понял число. Напишите, например, {fmt(metric.low + 20)} — "
                    f"или «{SKIP}».\n\n{_question(session).text}",
                    BUTTONS,
                )
            if not metric.low <= value <= metric.high:
                return CheckinReply(
                    f"{metric.question}: ожидаю от {fmt(metric.low)} до {fmt(metric.high)}. "
                    f"Проверьте, пожалуйста.\n\n{_question(session).text}",
                    BUTTONS,
                )
            session.answers[metric.field] = str(value)
        session.step += 1
        if session.step < len(METRICS):
            session.save(update_fields=["answers", "step", "updated_at"])
            return _question(session)
        return _finish(session)


POSES = ProgressPhoto.Pose.values  # front, side, back: asked after the measurements
POSE_NAMES = {"front": "спереди", "side": "сбоку", "back": "сзади"}


def _pose(session: CheckinSession) -> str:
    return POSES[session.step - len(METRICS)]


def _photo_question(session: CheckinSession) -> str:
    return f"Фото {POSE_NAMES[_pose(session)]}: пришлите его картинкой или пропустите."


def _close(session: CheckinSession, text: str) -> CheckinReply:
    session.status = CheckinSession.Status.DONE
    session.save(update_fields=["step", "status", "updated_at"])
    return CheckinReply(text, [], done=True)


def _next_photo(session: CheckinSession, prefix: str) -> CheckinReply:
    session.step += 1
    if session.step >= len(METRICS) + len(POSES):
        sent_photos = ProgressPhoto.objects.filter(
            client=session.client, source="bot", created_at__gte=session.started_at
        ).exists()
        return _close(
            session,
            "Спасибо! Фото прогресса сохранены, тренер их увидит." if sent_photos else "Готово!",
        )
    session.save(update_fields=["step", "updated_at"])
    return CheckinReply(f"{prefix}{_photo_question(session)}", BUTTONS)


def checkin_wants_photo(*, client: Client) -> bool:
    """True while the client's open check-in is at a photo question (the bot then downloads it)."""
    return CheckinSession.objects.filter(
        client=client, status=CheckinSession.Status.OPEN, step__gte=len(METRICS)
    ).exists()


def checkin_photo(*, client: Client, content: bytes) -> CheckinReply | None:
    """Store the photo the client sent for the current pose; None when no photo is awaited.

    A file that is not a JPEG/PNG/WebP image gets the reason and the same question again.
    """
    with transaction.atomic():
        session = (
            CheckinSession.objects.select_for_update()
            .filter(client=client, status=CheckinSession.Status.OPEN, step__gte=len(METRICS))
            .first()
        )
        if session is None:
            return None
        try:
            photo_add(client=client, pose=_pose(session), content=content, source="bot")
        except ValidationError as error:
            reason = " ".join(error.messages)
            return CheckinReply(f"{reason}\n\n{_photo_question(session)}", BUTTONS)
        return _next_photo(session, "Фото сохранено. ")


def _finish(session: CheckinSession) -> CheckinReply:
    """The measurements are answered: save them, say the change, then ask for photos."""
    client = session.client
    values = {name: Decimal(value) for name, value in session.answers.items()}
    if not values:
        session.save(update_fields=["answers", "step", "updated_at"])
        return CheckinReply(
            f"Замеры пропущены — ничего не сохранено.\n\n{_photo_question(session)}", BUTTONS
        )
    try:
        entry, _created = measurement_save(
            client=client,
            period=session.period,
            program=session.program,
            values=values,
            measured_on=timezone.localdate(),
            source=ProgressJournal.Source.BOT,
        )
    except ValidationError:
        session.status = CheckinSession.Status.CANCELLED
        session.save(update_fields=["answers", "step", "status", "updated_at"])
        return CheckinReply("Не удалось сохранить замеры. Попробуйте ещё раз: /progress")
    session.entry = entry
    session.save(update_fields=["answers", "step", "entry", "updated_at"])
    summary = checkin_summary(client=client, program_id=session.program_id, period=session.period)
    return CheckinReply(f"{summary}\n\n{_photo_question(session)}", BUTTONS)


def checkin_summary(*, client: Client, program_id: int | None, period: str) -> str:
    """The thanks, then each metric sent now with its change since the journal's first value."""
    progress = client_progress_get(client=client, program=program_id, with_photos=False)
    entry = next(e for e in progress.entries if e.period == period)
    lines = [f"Спасибо! Замеры сохранены ({Period(period).label.lower()})."]
    changes = []
    for metric in METRICS:
        value = getattr(entry, metric.field)
        if value is None:
            continue
        start = progress.first[metric.field]
        delta = value - start
        if entry.period == Period.BEFORE or progress.first_entry[metric.field] is entry:
            changes.append(f"{metric.question}: {fmt(value)}")
            continue
        mark = {"good": " 👍", "bad": ""}.get(
            change_tone(delta, good_direction(metric, client.goal)), ""
        )
        changes.append(
            f"{metric.question}: {fmt(value)} ({fmt(delta, signed=True)} с начала){mark}"
        )
    if changes:
        lines.append("")
        lines.extend(changes)
    return "\n".join(lines)
