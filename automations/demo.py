"""Demo automations for `seed_demo`: the shipped rules' send log for active and finished clients
(weekly motivation and check-in prompts, the NPS question) with replies and NPS answers, so
`/automations/`, the send log and the NPS report show a working business.

Occurrence keys start with "demo:" and the (rule, client, occurrence) constraint makes a re-run
create nothing twice.
"""

import random
from datetime import timedelta

from django.apps import apps
from django.utils import timezone

from crm.models import Client

from .defaults import DEFAULT_RULES
from .models import NpsResponse, Rule, Run
from .services import rules_ensure_defaults
from .templating import template_render

SCORES = [10, 10, 10, 9, 9, 9, 9, 8, 8, 7, 6, 4]
COMMENTS = ["", "", "Отличная программа, спасибо!", "Хотелось бы больше видео", "Всё понравилось"]


def seed(*, clients: list[Client], rng: random.Random) -> int:
    rules_ensure_defaults()
    rules = {
        rule.code: rule for rule in Rule.objects.filter(code__in=[r["code"] for r in DEFAULT_RULES])
    }
    OutboundMessage = apps.get_model("botapp", "OutboundMessage")
    now = timezone.now()
    runs: list[Run] = []
    answers: list[NpsResponse] = []
    for client in clients:
        code = client.stage.code if client.stage_id else ""
        if code not in ("active", "finished") or client.telegram_id is None:
            continue
        weeks = rng.randint(2, 8) if code == "active" else 12
        started = now - timedelta(weeks=weeks + (1 if code == "finished" else 0))
        values = {"name": client.first_name, "weeks": 12, "trainer": str(client.trainer or "")}
        for week in range(1, weeks + 1):
            for rule_code, day in (("motivation-weekly", 1), ("checkin-weekly", 6)):
                at = started + timedelta(weeks=week - 1, days=day, hours=rng.randint(0, 8))
                if at > now:
                    continue
                rule = rules[rule_code]
                runs.append(
                    Run(
                        rule=rule,
                        client=client,
                        occurrence=f"demo:w{week}",
                        status=Run.Status.DONE,
                        created_at=at,
                        due_at=at,
                        done_at=at,
                        text=template_render(rule.message, {**values, "week": week}),
                    )
                )
        if code == "finished":
            at = started + timedelta(weeks=12, hours=2)
            rule = rules["finished-nps"]
            runs.append(
                Run(
                    rule=rule,
                    client=client,
                    occurrence="demo:end",
                    status=Run.Status.DONE,
                    created_at=at,
                    due_at=at,
                    done_at=at,
                    text=template_render(rule.message, values),
                )
            )
            if rng.random() < 0.7:
                score = rng.choice(SCORES)
                answers.append(
                    NpsResponse(
                        client=client,
                        trainer_id=client.trainer_id,
                        score=score,
                        comment=rng.choice(COMMENTS),
                        created_at=at + timedelta(hours=rng.randint(1, 30)),
                    )
                )
    Run.objects.bulk_create(runs, batch_size=1000, ignore_conflicts=True)
    have = set(
        NpsResponse.objects.filter(client__in=[a.client for a in answers]).values_list(
            "client_id", flat=True
        )
    )
    NpsResponse.objects.bulk_create(
        [a for a in answers if a.client_id not in have], batch_size=1000
    )
    # The bot's side of each demo message, marked sent (the log and the results read it).
    fresh = list(
        Run.objects.filter(
            client__in=clients, occurrence__startswith="demo:", outbound_message__isnull=True
        ).select_related("client")
    )
    OutboundMessage.objects.bulk_create(
        [
            OutboundMessage(
                chat_id=run.client.telegram_id,
                client=run.client,
                text=run.text,
                status="sent",
                sent_at=run.done_at,
                created_at=run.done_at,
                dedupe_key=f"auto:{run.pk}",
            )
            for run in fresh
        ],
        batch_size=1000,
        ignore_conflicts=True,
    )
    ids = dict(
        OutboundMessage.objects.filter(
            dedupe_key__in=[f"auto:{run.pk}" for run in fresh]
        ).values_list("dedupe_key", "pk")
    )
    for run in fresh:
        run.outbound_message_id = ids.get(f"auto:{run.pk}")
    Run.objects.bulk_update(fresh, ["outbound_message"], batch_size=500)
    return len(fresh) + len(answers)
