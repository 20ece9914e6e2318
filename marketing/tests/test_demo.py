import random

from crm.tests.factories import ClientFactory
from marketing import demo
from marketing.models import ChatMessage, ChatSession, SocialPost, WebsiteSettings


def test_demo_is_idempotent_and_links_chats_to_clients(db):
    clients = ClientFactory.create_batch(10)
    first = demo.seed(clients=clients, rng=random.Random(1))
    assert first > 0 and demo.seed(clients=clients, rng=random.Random(1)) == 0
    assert SocialPost.objects.filter(status="published").count() == 3
    assert WebsiteSettings.objects.get().widget_enabled
    linked = ChatSession.objects.filter(client__isnull=False)
    assert linked.count() == 8 and ChatSession.objects.count() == 16
    assert ChatMessage.objects.filter(session__client=clients[0]).count() == 4
