"""Demo data for `manage.py seed_demo`: website settings with the widget on, and website chats — a
few anonymous visitors and a few that became leads (their chat shows on the client page).
Idempotent: settings row pk=1, chats by their visitor id."""

import random
from datetime import timedelta

from django.utils import timezone

from crm.models import Client

from .models import AdSpend, ChatMessage, ChatSession, PostPublication, SocialPost
from .selectors import website_settings_get

CONVERSATIONS = [
    [
        ("visitor", "Здравствуйте! Подойдёт ли программа, если я тренируюсь дома?"),
        ("assistant", "Да, есть программы для дома — с гантелями, резинками или без инвентаря."),
        ("visitor", "А сколько стоит на 12 недель?"),
        ("assistant", "Полная программа на 12 недель — 4 990 ₽. Хотите начать?"),
    ],
    [
        ("visitor", "Хочу купить программу для набора массы"),
        ("assistant", "Отлично! Оставьте телефон или Telegram — тренер свяжется с вами."),
        ("visitor", "Мой телефон {phone}"),
        ("assistant", "Спасибо! Тренер скоро свяжется с вами."),
    ],
]


POSTS = [
    ("Осенний марафон", "Бесплатная программа на неделю — пройдите короткий опрос в боте."),
    (
        "Домашние тренировки",
        "Нет времени на зал? Программа с гантелями для дома — бесплатно в боте.",
    ),
    ("Итоги клиентов", "Минус 6 кг за 12 недель: история Марии. Хотите так же? Начните с опроса."),
    ("Новый поток", "Старт нового 12-недельного потока в понедельник. Места ограничены."),
]


def _seed_posts(clients: list[Client], rng: random.Random) -> int:
    if SocialPost.objects.filter(title__in=[title for title, _text in POSTS]).exists():
        return 0
    now = timezone.now()
    created = 0
    spends = [("vk_ads", "15000.00"), ("instagram", "8000.00")]
    for index, (title, text) in enumerate(POSTS):
        upcoming = index == len(POSTS) - 1
        post = SocialPost.objects.create(
            title=title,
            text=text,
            button_text="Получить программу",
            status=SocialPost.Status.SCHEDULED if upcoming else SocialPost.Status.PUBLISHED,
            publish_at=now + timedelta(days=2)
            if upcoming
            else now - timedelta(days=30 - 8 * index),
        )
        for network in PostPublication.Network.values:
            PostPublication.objects.create(
                post=post,
                network=network,
                status=PostPublication.Status.PENDING
                if upcoming
                else PostPublication.Status.PUBLISHED,
                external_id="" if upcoming else str(1000 + index),
                url=""
                if upcoming
                else (
                    f"https://t.me/demo_channel/{1000 + index}"
                    if network == PostPublication.Network.TELEGRAM
                    else f"https://vk.com/wall-1_{1000 + index}"
                ),
                published_at=None if upcoming else post.publish_at,
                attempts=0 if upcoming else 1,
            )
        created += 3
        if index == 0:  # the trainer paid to promote the first post
            spends.append((post.start_payload, "3000.00"))
        if not upcoming:  # some demo leads came through this post
            for client in rng.sample(clients, min(len(clients), 6)):
                lead = client.leads.order_by("-created_at").first()
                if lead is not None and not lead.source.startswith("post_"):
                    lead.source = post.start_payload
                    lead.save(update_fields=["source"])
    month = timezone.localdate().replace(day=1)
    for source, amount in spends:
        _spend, made = AdSpend.objects.get_or_create(
            source=source, month=month, defaults={"amount": amount}
        )
        created += made
    return created


def seed(*, clients: list[Client], rng: random.Random) -> int:
    created = _seed_posts(clients, rng)
    site = website_settings_get()
    if not site.trainer_name:
        site.trainer_name = "Анна Соколова"
        site.about = "Персональный тренер, 10 лет опыта: снижение веса, сила, домашние тренировки."
        site.contacts = "+7 900 123-45-67, anna@example.com"
        site.bot_username = "fitness_trainer_demo_bot"
        site.widget_enabled = True
        site.allowed_origins = "http://127.0.0.1:8080\nhttp://localhost:8080"
        site.save()
    existing = set(
        ChatSession.objects.filter(visitor_id__startswith="demo-visitor-").values_list(
            "visitor_id", flat=True
        )
    )
    leads = [c for c in clients if c.phone][:8]
    now = timezone.now()
    for index in range(16):
        visitor_id = f"demo-visitor-{index:04d}"
        if visitor_id in existing:
            continue
        client = leads[index // 2] if index % 2 == 0 and index // 2 < len(leads) else None
        script = CONVERSATIONS[1 if client else 0]
        started = now - timedelta(days=rng.randint(1, 60), minutes=rng.randint(0, 600))
        session = ChatSession.objects.create(
            visitor_id=visitor_id,
            client=client,
            origin="http://127.0.0.1:8080",
            message_count=len(script),
            last_message_at=started + timedelta(minutes=len(script)),
        )
        messages = ChatMessage.objects.bulk_create(
            ChatMessage(
                session=session,
                role=role,
                text=text.format(phone=client.phone if client else ""),
            )
            for role, text in script
        )
        for offset, message in enumerate(messages):  # auto_now_add: set the story's times after
            ChatMessage.objects.filter(pk=message.pk).update(
                created_at=started + timedelta(minutes=offset)
            )
        created += 1 + len(messages)
    return created
