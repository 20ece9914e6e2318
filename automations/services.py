"""Writes of the automations engine: firing rules, doing their actions, NPS answers.

One pass (`engine_run`, beat every 5 minutes) evaluates every rule that is on with one query each
and records a `Run` per (rule, client, occurrence) — the unique constraint makes a rule fire at most
once, whatever the retries or parallel workers. Due runs are then done in batches: the message is
rendered and handed to the bot's outbox (`botapp.automation_send`, after commit), the trainer's note,
the follow-up and the stage event happen at once. Events caused by a pass (a stage entered, an NPS
answer) are evaluated again in the same pass, so one pass completes a chain and the next sends
nothing new. Runs with a client message wait out quiet hours instead of being dropped.
"""

import logging
from contextlib import nullcontext
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.conf import settings
from django.core.exceptions import EmptyResultSet, ValidationError
from django.db import connection, transaction
from django.db.models import QuerySet, Subquery
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from academy.models import Membership
from config.celery import enqueue_on_commit
from crm.models import Client, Notification, Task
from crm.notifications import staff_notify
from crm.quiet import quiet_until
from crm.services import notification_create, task_create
from payments.models import Payment, Subscription, Tariff
from pipeline.services import stage_apply_event
from privacy.selectors import clients_messageable
from programs.models import TrainingProgram

from .models import NpsResponse, Rule, Run
from .selectors import rule_candidates
from .templating import template_errors, template_render

logger = logging.getLogger(__name__)

SEND_TASK = "botapp.automation_send"
EVENT_TASK = "automations.client_event"
# Triggers that are events: fired when the event happens (and again by each pass, which finds
# them done); the others are about time and fire at a pass.
EVENT_TRIGGERS = (Rule.Trigger.STAGE_ENTERED, Rule.Trigger.NPS_ANSWERED)
BATCH = 500
MAX_CHAIN = 5  # evaluate → act rounds per pass (a chain: program end → Завершен → NPS question)
Status = Run.Status


class RuleError(Exception):
    """A rule that cannot be saved; the message is safe to show."""


# --- rules -----------------------------------------------------------------------------------------


def rule_check(*, rule: Rule) -> dict[str, list[str]]:
    """Field errors of a rule (templates, the trigger's parameters); empty when it can run."""
    errors: dict[str, list[str]] = {}
    for name in ("message", "trainer_note"):
        problems = template_errors(getattr(rule, name))
        if problems:
            errors[name] = problems
    if rule.trigger in (Rule.Trigger.STAGE_ENTERED, Rule.Trigger.STAGE_STUCK) and not rule.stage_id:
        errors["stage"] = [_("Choose the stage.")]
    if rule.nps_min > rule.nps_max:
        errors["nps_max"] = [_("“To” must not be below “from”.")]
    unknown = set(rule.buttons or []) - set(Rule.Button.values)
    if unknown:
        errors["buttons"] = [_("Unknown button.")]
    if rule.buttons and not rule.message.strip():
        errors["message"] = [_("Buttons need a message to go with.")]
    if not (
        rule.message.strip() or rule.trainer_note.strip() or rule.task_text or rule.stage_event
    ):
        errors["message"] = [_("A rule needs at least one action.")]
    return errors


@transaction.atomic
def rule_save(*, rule: Rule, tariffs: list[Tariff] | None = None) -> Rule:
    """Validate and save a rule. Switching it on (re)starts `active_since`: occurrences from
    before do not fire. Raises ValidationError with field errors."""
    errors = rule_check(rule=rule)
    if errors:
        raise ValidationError(errors)
    rule.full_clean(exclude=["buttons"])
    previous = Rule.objects.filter(pk=rule.pk).values_list("is_active", flat=True).first()
    if rule.is_active and not previous:
        rule.active_since = timezone.now()
    rule.save()
    if tariffs is not None:
        rule.offer_tariffs.set(tariffs)
    return rule


def rules_ensure_defaults() -> int:
    """Recreate any missing shipped rule (the data migration's job, again for flushed tables)."""
    from pipeline.models import PipelineStage

    from .defaults import create_default_rules

    return create_default_rules(Rule, PipelineStage)


@transaction.atomic
def rule_toggle(*, rule: Rule, on: bool) -> Rule:
    """Switch a rule on or off (on: from now, occurrences from before do not fire)."""
    locked = Rule.objects.select_for_update().get(pk=rule.pk)
    if on and not locked.is_active:
        locked.active_since = timezone.now()
    locked.is_active = on
    locked.save(update_fields=["is_active", "active_since", "updated_at"])
    rule.is_active, rule.active_since = locked.is_active, locked.active_since
    return locked


# --- the engine ------------------------------------------------------------------------------------


@dataclass
class PassResult:
    fired: int = 0  # runs recorded
    done: int = 0
    skipped: int = 0
    failed: int = 0
    waiting: int = 0  # postponed by quiet hours
    rounds: int = 0
    by_rule: dict[int, int] = field(default_factory=dict)


def _runs_insert(*, rule: Rule, rows: QuerySet, now: datetime, due: datetime) -> int:
    """INSERT … SELECT the candidate rows as pending runs in one statement, whatever their number;
    ON CONFLICT DO NOTHING leaves an occurrence a parallel pass recorded first (the unique
    constraint decides). Returns how many runs are new. (Django has no INSERT … SELECT; both our
    databases, PostgreSQL and SQLite ≥ 3.24, run this statement.)"""
    try:
        select, params = rows.query.sql_with_params()
    except EmptyResultSet:  # e.g. a stage rule without its stage
        return 0
    quote = connection.ops.quote_name
    columns = ", ".join(
        quote(name)
        for name in (
            "rule_id", "client_id", "occurrence", "status", "reason", "text", "answer",
            "created_at", "due_at",
        )
    )  # fmt: skip
    stamp = connection.ops.adapt_datetimefield_value
    sql = (
        f"INSERT INTO {quote(Run._meta.db_table)} ({columns}) "
        f"SELECT %s, candidate.cid, candidate.occ, %s, '', '', '', %s, %s "
        f"FROM ({select}) candidate WHERE candidate.occ IS NOT NULL "
        f"ON CONFLICT DO NOTHING"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [rule.pk, Status.PENDING, stamp(now), stamp(due), *params])
        return max(cursor.rowcount, 0)


def rules_fire(
    *,
    now: datetime,
    rules: list[Rule] | None = None,
    client_ids: list[int] | None = None,
    result: PassResult | None = None,
) -> int:
    """Record a Run for every (rule, client, occurrence) due now — one INSERT … SELECT per rule,
    whatever the number of clients. Returns how many runs are new."""
    result = result or PassResult()
    rules = rules if rules is not None else list(Rule.objects.filter(is_active=True))
    created = 0
    for rule in rules:
        rows = rule_candidates(rule, now=now, client_ids=client_ids)
        due = quiet_until(now) if rule.message.strip() else now
        with transaction.atomic():
            new = _runs_insert(rule=rule, rows=rows, now=now, due=due)
        created += new
        if new:
            result.by_rule[rule.pk] = result.by_rule.get(rule.pk, 0) + new
    result.fired += created
    return created


def _latest_by_client(queryset, client_ids: set[int], order: str) -> dict[int, object]:
    found: dict[int, object] = {}
    for row in queryset.filter(client_id__in=client_ids).order_by("client_id", order):
        found.setdefault(row.client_id, row)
    return found


@dataclass
class _Context:
    """What templates need about a batch of clients, fetched in a few queries for the batch."""

    programs: dict[int, TrainingProgram]
    tariffs: dict[int, str]
    pay_links: dict[int, str]
    memberships: dict[int, date]  # when the client's membership ends
    nps: dict[int, NpsResponse]
    messageable: set[int]  # who we may write to first (`privacy.selectors.clients_messageable`)
    now: datetime

    @classmethod
    def load(cls, client_ids: set[int], now: datetime) -> "_Context":
        programs = _latest_by_client(
            TrainingProgram.objects.filter(kind="paid", delivered_at__isnull=False).only(
                "client_id", "delivered_at", "weeks"
            ),
            client_ids,
            "-delivered_at",
        )
        paid = _latest_by_client(
            Payment.objects.filter(status=Payment.Status.SUCCEEDED)
            .select_related("tariff")
            .only("client_id", "paid_at", "tariff__name"),
            client_ids,
            "-paid_at",
        )
        pending = _latest_by_client(
            Payment.objects.filter(status=Payment.Status.PENDING)
            .exclude(confirmation_url="")
            .only("client_id", "created_at", "confirmation_url"),
            client_ids,
            "-created_at",
        )
        memberships = {
            cid: row.ends_on
            for cid, row in _latest_by_client(
                Subscription.objects.only("client_id", "ends_on"), client_ids, "-ends_on"
            ).items()
        }
        academy = _latest_by_client(
            Membership.objects.filter(status=Membership.Status.ACTIVE).only("client_id", "ends_on"),
            client_ids,
            "-ends_on",
        )
        for cid, row in academy.items():  # the academy's membership is the one that counts
            memberships[cid] = row.ends_on
        nps = _latest_by_client(NpsResponse.objects.all(), client_ids, "-created_at")
        return cls(
            programs=programs,
            tariffs={cid: p.tariff.name for cid, p in paid.items() if p.tariff_id},
            pay_links={cid: p.confirmation_url for cid, p in pending.items()},
            memberships=memberships,
            nps=nps,
            messageable=set(
                clients_messageable(Client.objects.filter(pk__in=client_ids)).values_list(
                    "pk", flat=True
                )
            ),
            now=now,
        )

    def values(self, client: Client) -> dict[str, object]:
        program = self.programs.get(client.pk)
        week = weeks = ""
        if program is not None:
            weeks = program.weeks
            week = min(max(1, (self.now - program.delivered_at).days // 7 + 1), weeks or 1)
        membership = self.memberships.get(client.pk)
        nps = self.nps.get(client.pk)
        trainer = client.trainer
        return {
            "name": client.first_name or client.full_name,
            "full_name": client.full_name,
            "trainer": (trainer.get_full_name() or trainer.username) if trainer else "тренер",
            "week": week,
            "weeks": weeks,
            "tariff": self.tariffs.get(client.pk, ""),
            "pay_link": self.pay_links.get(client.pk, ""),
            "membership_end": membership.strftime("%d.%m.%Y") if membership else "",
            "score": nps.score if nps else "",
            "comment": nps.comment if nps else "",
        }


def _money(value) -> str:
    return f"{value:,.0f}".replace(",", " ") if value == value.to_integral() else f"{value:,.2f}"


def _markup(rule: Rule, run: Run, tariffs: list[Tariff]) -> dict | None:
    """The inline keyboard (Bot API JSON). Callback data are the bot's constants (botapp handlers)."""
    rows: list[list[dict]] = []
    for button in rule.buttons or []:
        if button == Rule.Button.BUY:
            rows.extend(
                [
                    {
                        "text": f"Купить «{tariff.name}» — {_money(tariff.price)} ₽",
                        "callback_data": f"buy:{tariff.pk}",
                    }
                ]
                for tariff in tariffs
            )
        elif button == Rule.Button.CHECKIN:
            rows.append([{"text": "📏 Записать замеры", "callback_data": "auto:checkin"}])
        elif button == Rule.Button.NPS:
            rows.append(
                [{"text": str(n), "callback_data": f"nps:{run.pk}:{n}"} for n in range(0, 6)]
            )
            rows.append(
                [{"text": str(n), "callback_data": f"nps:{run.pk}:{n}"} for n in range(6, 11)]
            )
        elif button == Rule.Button.TRAINER:
            rows.append([{"text": "✍️ Написать тренеру", "callback_data": "auto:trainer"}])
    return {"inline_keyboard": rows} if rows else None


def rule_render_for(*, rule: Rule, client: Client, now: datetime) -> tuple[str, dict | None]:
    """The rule's message and buttons as this client would get them now (the editor's preview)."""
    context = _Context.load({client.pk}, now)
    tariffs = list(rule.offer_tariffs.all()) if rule.pk else []
    tariffs = tariffs or list(Tariff.objects.filter(is_active=True).order_by("order", "id"))
    preview = Run(pk=0, rule=rule, client=client)
    return template_render(rule.message, context.values(client)), _markup(rule, preview, tariffs)


def _message_skip_reason(client: Client, context: "_Context") -> str:
    if client.is_preview:
        return _("bot preview client")
    if client.telegram_id is None:
        return _("no Telegram chat with the bot")
    if client.bot_blocked_at:
        return _("the client blocked the bot")
    if client.pk not in context.messageable:  # privacy decides (152-FZ)
        return _("no consent to the processing of personal data")
    return ""


def _run_do(run: Run, context: _Context, tariffs: dict[int, list[Tariff]]) -> bool:
    """Do one run's actions (inside the batch's transaction). Returns True if a stage moved."""
    rule, client = run.rule, run.client
    values = context.values(client)
    did, skipped, moved = [], "", False
    if rule.message.strip():
        skipped = _message_skip_reason(client, context)
        if not skipped:
            run.text = template_render(rule.message, values)
            run.reply_markup = _markup(rule, run, tariffs.get(rule.pk, []))
            did.append("message")
    if rule.trainer_note.strip():
        text = template_render(rule.trainer_note, values)
        if client.trainer_id:  # the bell and, when linked, their Telegram; once per run
            notification_create(
                recipient=client.trainer,
                kind=Notification.Kind.AUTOMATION,
                client=client,
                text=text,
                dedup_key=f"automation-run:{run.pk}",
            )
        else:  # nobody's client yet: the staff chat hears about it
            staff_notify(text=text, client=client)
        did.append("note")
    if rule.task_text:
        task_create(
            client=client,
            due_at=context.now + timedelta(days=rule.task_due_days),
            kind=Task.Kind.FOLLOW_UP,
            title=f"{rule.name}: {template_render(rule.task_text, values)}"[:200],
        )
        did.append("task")
    if rule.stage_event:
        moved = (
            stage_apply_event(client=client, event=rule.stage_event, notes=rule.name) is not None
        )
        did.append("stage")
    run.done_at = context.now
    if did:
        not_sent = _("message not sent: %(reason)s") % {"reason": skipped}
        run.status, run.reason = Status.DONE, (not_sent if skipped else "")
    else:
        run.status, run.reason = Status.SKIPPED, skipped
    return moved


RUN_RESULT_FIELDS = ("status", "reason", "done_at", "text", "reply_markup")


def _runs_save(runs: list[Run]) -> None:
    """Write each run's outcome: one prepared UPDATE executed for the whole batch. (bulk_update's
    CASE per field grows with the batch on both sides and took seconds per 500 rows.)"""
    fields = [Run._meta.get_field(name) for name in RUN_RESULT_FIELDS]
    quote = connection.ops.quote_name
    assignments = ", ".join(f"{quote(field.column)} = %s" for field in fields)
    sql = f"UPDATE {quote(Run._meta.db_table)} SET {assignments} WHERE {quote('id')} = %s"
    rows = [
        [field.get_db_prep_save(getattr(run, field.attname), connection) for field in fields]
        + [run.pk]
        for run in runs
    ]
    with connection.cursor() as cursor:
        cursor.executemany(sql, rows)


def runs_do_due(
    *, now: datetime, result: PassResult | None = None, client_ids: list[int] | None = None
) -> bool:
    """Do every run that is due (of these clients, for an event), in batches; returns True if any
    of them moved a client's stage (so the caller evaluates again: entering a stage is an event)."""
    result = result or PassResult()
    moved_any = False
    tariff_cache: dict[int, list[Tariff]] = {}
    due = Run.objects.filter(status=Status.PENDING, due_at__lte=now)
    if client_ids is not None:
        due = due.filter(client_id__in=client_ids)
    while True:
        with transaction.atomic():
            ids = list(
                due.select_for_update(skip_locked=True)
                .order_by("due_at", "id")
                .values_list("pk", flat=True)[:BATCH]
            )
            if not ids:
                break
            runs = list(
                Run.objects.filter(pk__in=ids).select_related("rule", "client", "client__trainer")
            )
            for run in runs:
                if run.rule_id not in tariff_cache:
                    chosen = list(run.rule.offer_tariffs.all())
                    tariff_cache[run.rule_id] = chosen or list(
                        Tariff.objects.filter(is_active=True).order_by("order", "id")
                    )
            context = _Context.load({run.client_id for run in runs}, now)
            to_send = []
            for run in runs:
                # A savepoint only around actions that write (a message-only rule writes nothing
                # per client here, which keeps a pass's queries constant in the number of clients).
                rule = run.rule
                writes = bool(rule.trainer_note.strip() or rule.task_text or rule.stage_event)
                try:
                    with transaction.atomic() if writes else nullcontext():
                        moved_any |= _run_do(run, context, tariff_cache)
                except Exception as exc:  # one client's failure never stops the others
                    logger.exception("Automation run %s failed", run.pk)
                    run.status, run.done_at = Status.FAILED, now
                    run.reason = f"{type(exc).__name__}: {exc}"[:255]
                    run.text, run.reply_markup = "", None
                if run.status == Status.DONE and run.text:
                    to_send.append(run.pk)
                result.done += run.status == Status.DONE
                result.skipped += run.status == Status.SKIPPED
                result.failed += run.status == Status.FAILED
            _runs_save(runs)
            for start in range(0, len(to_send), BATCH):
                enqueue_on_commit(SEND_TASK, run_ids=to_send[start : start + BATCH])
    return moved_any


def runs_resend_lost(*, older_than: timedelta = timedelta(minutes=2)) -> int:
    """Hand the bot again every message a killed worker left between commit and the bot's queue
    (the bot's dedupe key makes a second hand-over harmless). Returns how many."""
    cutoff = timezone.now() - older_than
    ids = list(
        Run.objects.filter(status=Status.DONE, outbound_message__isnull=True, done_at__lt=cutoff)
        .exclude(text="")
        .values_list("pk", flat=True)[:5000]
    )
    for start in range(0, len(ids), BATCH):
        enqueue_on_commit(SEND_TASK, run_ids=ids[start : start + BATCH])
    return len(ids)


# Set while the engine works: the stage moves its own runs make are followed by its next round,
# not by an event task per client.
_in_engine: ContextVar[bool] = ContextVar("automations_in_engine", default=False)


def engine_run(*, now: datetime | None = None, client_ids: list[int] | None = None) -> PassResult:
    """One pass: fire every rule that is on, do what is due, and follow the events this caused
    (a stage entered) within the same pass. Safe to run twice or in parallel."""
    now = now or timezone.now()
    result = PassResult()
    rules = list(Rule.objects.filter(is_active=True))
    _engine_rounds(now=now, rules=rules, client_ids=client_ids, result=result)
    result.waiting = Run.objects.filter(status=Status.PENDING, due_at__gt=now).count()
    return result


def engine_on_event(*, client_ids: list[int], now: datetime | None = None) -> PassResult:
    """An event happened to these clients (a stage entered, an NPS answer): fire the rules on
    events for them now, not at the next pass — and follow the chain (a stage event of a rule is
    itself an event). Only their runs are done; quiet hours still postpone a message."""
    now = now or timezone.now()
    result = PassResult()
    rules = list(Rule.objects.filter(is_active=True, trigger__in=EVENT_TRIGGERS))
    if rules:
        _engine_rounds(now=now, rules=rules, client_ids=client_ids, result=result)
    return result


def _engine_rounds(
    *, now: datetime, rules: list[Rule], client_ids: list[int] | None, result: PassResult
) -> None:
    token = _in_engine.set(True)
    try:
        with translation.override(settings.LANGUAGE_CODE):  # the log's reasons, in UI language
            for _round in range(MAX_CHAIN):
                result.rounds += 1
                fired = rules_fire(now=now, rules=rules, client_ids=client_ids, result=result)
                moved = runs_do_due(now=now, result=result, client_ids=client_ids)
                if not fired and not moved:
                    break
    finally:
        _in_engine.reset(token)


def stage_entered_receiver(*, client: Client, **_kwargs) -> None:
    """`pipeline.signals.stage_entered`: a client entered a stage outside the engine (a trainer's
    move, a payment, the bot) — their "entered a stage" rules fire right after the commit, through
    the durable outbox of tasks. (Inside a pass the engine's next round follows its own moves.)"""
    if not _in_engine.get():
        enqueue_on_commit(EVENT_TASK, client_id=client.pk)


def stages_entered_receiver(*, clients: list[Client], **_kwargs) -> None:
    """`pipeline.signals.stages_entered`: many clients entered a stage at once (an import) — one
    durable task per BATCH of them instead of one per client."""
    if not _in_engine.get():
        ids = [client.pk for client in clients]
        for start in range(0, len(ids), BATCH):
            enqueue_on_commit(EVENT_TASK, client_ids=ids[start : start + BATCH])


# --- NPS ------------------------------------------------------------------------------------------


class NpsError(Exception):
    """An NPS answer that cannot be taken (safe to show to the client)."""


@transaction.atomic
def nps_record(*, client: Client, score: int, run: Run | None = None) -> NpsResponse:
    """Store the client's score for their current program (a new press replaces it) and fire the
    rules on NPS answers at once (a detractor alert, the next offer)."""
    if not 0 <= score <= 10:
        raise NpsError(_("The score is from 0 to 10."))
    program = (
        TrainingProgram.objects.filter(client=client, kind="paid")
        .order_by("-delivered_at", "-id")
        .first()
    )
    response, _created = NpsResponse.objects.update_or_create(
        client=client,
        program=program,
        defaults={
            "score": score,
            "run": run,
            "trainer_id": client.trainer_id,
            "awaiting_comment": True,
            "created_at": timezone.now(),
        },
    )
    if run is not None:
        Run.objects.filter(pk=run.pk).update(answered_at=timezone.now(), answer=str(score))
    engine_on_event(client_ids=[client.pk])
    return response


def nps_comment_awaited(*, client: Client) -> NpsResponse | None:
    """The answer waiting for the client's comment (asked right after the score), if any."""
    return (
        NpsResponse.objects.filter(
            client=client,
            awaiting_comment=True,
            created_at__gte=timezone.now() - timedelta(days=1),
        )
        .order_by("-created_at")
        .first()
    )


@transaction.atomic
def nps_comment(*, response: NpsResponse, text: str) -> NpsResponse:
    """Keep the client's comment to their score (the trainer sees it on the client page)."""
    response.comment = (text or "").strip()[:2000]
    response.awaiting_comment = False
    response.save(update_fields=["comment", "awaiting_comment"])
    return response


def run_mark_answered(*, client: Client, answer: str) -> int:
    """The client pressed a button of an automation message (kept for the rule's stats)."""
    latest = (
        Run.objects.filter(client=client, status=Status.DONE, answered_at__isnull=True)
        .exclude(text="")
        .order_by("-done_at")
        .values("pk")[:1]
    )
    return Run.objects.filter(pk__in=Subquery(latest)).update(
        answered_at=timezone.now(), answer=answer[:100]
    )
