import pytest

from config.celery import app

from .servers import LocalServer


@pytest.fixture
def server():
    with LocalServer() as local:
        yield local


@pytest.fixture
def library(db):
    """The bundled template library loaded as the active version."""
    from programs.services import templates_ensure_loaded

    return templates_ensure_loaded()


@pytest.fixture
def bot_tasks():
    """Stand-ins for the bot's tasks (registered by name, as the bot app will): records calls."""
    calls: list[tuple[str, dict]] = []
    names = ["botapp.staff_notify", "botapp.program_deliver", "botapp.client_message"]
    saved = {name: app.tasks.get(name) for name in names}

    def register(name):
        @app.task(name=name)
        def fake(**kwargs):
            calls.append((name, kwargs))

        return fake

    for name in names:
        app.tasks.pop(name, None)
        register(name)
    yield calls
    for name, task in saved.items():
        app.tasks.pop(name, None)
        if task is not None:
            app.tasks[name] = task
