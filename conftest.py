"""Project-wide test fixtures.

Service markers: a test marked `redis` or `postgres` skips when that service is not configured or not
reachable — unless REQUIRE_SERVICES=1 (CI), where it fails instead, so CI can never go green by
silently skipping the real-service tests.
"""

import os
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import quote, urlparse

import pytest

ROOT = Path(__file__).resolve().parent
REQUIRE_SERVICES = os.environ.get("REQUIRE_SERVICES") == "1"


DEFAULT_PORTS = {"redis": 6379, "postgres": 5432, "postgresql": 5432, "pgsql": 5432}


def _reachable(url: str) -> bool:
    parsed = urlparse(url)
    address = (parsed.hostname or "127.0.0.1", parsed.port or DEFAULT_PORTS.get(parsed.scheme, 0))
    try:
        with socket.create_connection(address, timeout=2):
            return True
    except OSError:
        return False


def _service_problem(marker: str) -> str | None:
    if marker == "redis":
        url = os.environ.get("REDIS_URL", "")
        if not url:
            return "REDIS_URL is not set"
        return None if _reachable(url) else f"Redis at {url} does not answer"
    if marker == "postgres":
        url = os.environ.get("DATABASE_URL", "")
        if not url.startswith(("postgres://", "postgresql://", "pgsql://")):
            return "DATABASE_URL does not point at PostgreSQL"
        return None if _reachable(url) else f"PostgreSQL at {url} does not answer"
    return None


def pytest_runtest_setup(item: pytest.Item) -> None:
    for marker in ("redis", "postgres"):
        if item.get_closest_marker(marker) is None:
            continue
        problem = _service_problem(marker)
        if problem is None:
            continue
        if REQUIRE_SERVICES:
            pytest.fail(f"REQUIRE_SERVICES=1 but {problem}", pytrace=False)
        pytest.skip(problem)


def _database_url(settings_dict: dict) -> str:
    """A DATABASE_URL for the database the test run is using (the test database)."""
    engine = settings_dict["ENGINE"]
    if engine.endswith("sqlite3"):
        return f"sqlite:///{settings_dict['NAME']}"
    user = quote(settings_dict.get("USER") or "")
    password = quote(settings_dict.get("PASSWORD") or "")
    auth = f"{user}:{password}@" if password else (f"{user}@" if user else "")
    host = settings_dict.get("HOST") or "127.0.0.1"
    port = settings_dict.get("PORT") or 5432
    return f"postgres://{auth}{host}:{port}/{settings_dict['NAME']}"


@pytest.fixture(autouse=True)
def _celery_join_allowed():
    """Eager tasks run in threads (race tests) can leave Celery's process-wide "inside a task" flag
    set (its save/restore is not thread-safe); every later `result.get()` would then fail at once."""
    from celery.result import allow_join_result

    with allow_join_result():
        yield


@pytest.fixture(autouse=True)
def _rate_limits_per_test(monkeypatch):
    """Each test counts its own requests: the limiter's counters live in a shared cache (Redis in
    CI), and every test client comes from 127.0.0.1."""
    monkeypatch.setattr("config.ratelimit.NAMESPACE", f"ratelimit-{uuid.uuid4().hex[:12]}")


def free_port() -> int:
    """A TCP port on 127.0.0.1 nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class RedisServer:
    """A redis-server of the caller's own on a free port (never the machine's): fault tests and
    benchmarks stop it and start it again on the same port to play a broker outage."""

    def __init__(self, folder: str | None = None) -> None:
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.folder = folder
        self.process: subprocess.Popen | None = None

    def start(self) -> "RedisServer":
        command = ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1"]
        command += ["--save", "", "--appendonly", "no"]
        if self.folder:
            command += ["--dir", self.folder]
        self.process = subprocess.Popen(
            command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return self
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def stop(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait(timeout=10)
            self.process = None


def start_celery_worker(queue: str, *, log_name: str = "") -> subprocess.Popen:
    """A real Celery worker process on `queue`, using this test run's database and broker.

    Its output goes to var/<log_name or queue>.log. The caller terminates it.
    """
    from django.db import connection

    env = {
        **os.environ,
        "DATABASE_URL": _database_url(connection.settings_dict),
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "CELERY_TASK_ALWAYS_EAGER": "0",  # what it queues goes through the broker
        "CELERY_QUEUE": queue,
        "C_FORCE_ROOT": "1",
    }
    with (ROOT / "var" / f"{log_name or queue}.log").open("w") as log:  # the child keeps its copy
        return subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "config",
                "worker",
                "-P",
                "solo",
                "-Q",
                f"{queue},{queue}.urgent",
                "--without-heartbeat",
                "--without-gossip",
                "--without-mingle",
                "-l",
                "info",
            ],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )


@pytest.fixture
def live_worker(transactional_db, settings):
    """A real Celery worker process on this run's broker (Redis or the embedded one) and test database.

    Tasks are sent to a queue of their own, so no other worker on the machine takes them. Use with
    tests that commit their data (`transaction=True`), since the worker reads it over a real connection.
    """

    from config.celery import app, healthcheck
    from pipeline.services import stages_ensure_defaults

    stages_ensure_defaults()  # a transactional test starts from flushed tables

    queue = f"test-{uuid.uuid4().hex[:8]}"
    process = start_celery_worker(queue)
    log = ROOT / "var" / f"{queue}.log"
    saved = (app.conf.task_always_eager, app.conf.task_default_queue)
    app.conf.task_always_eager = False
    app.conf.task_default_queue = queue
    settings.CELERY_TASK_ALWAYS_EAGER = False
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"Celery worker exited; see {log}")
            try:
                healthcheck.apply_async(queue=queue).get(timeout=5)
                break
            except Exception:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.5)  # never flood the broker with probes
        yield process
    finally:
        app.conf.task_always_eager, app.conf.task_default_queue = saved
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()


@pytest.fixture(scope="session")
def _playwright_browser():
    """One headless Debian Chromium for the session (never a downloaded browser)."""
    chromium = "/usr/bin/chromium"
    if not Path(chromium).exists():
        if REQUIRE_SERVICES:
            pytest.fail("Chromium is not installed (apt-get install chromium)", pytrace=False)
        pytest.skip("Chromium is not installed (apt-get install chromium)")
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=chromium,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield browser
        browser.close()


@pytest.fixture
def page(_playwright_browser, live_server):
    """A fresh browser page; `page.csp_violations` and `page.js_errors` collect what went wrong.

    Tests should assert both are empty: the Content-Security-Policy must hold on every page.
    """
    context = _playwright_browser.new_context(base_url=live_server.url, locale="ru-RU")
    context.set_default_timeout(10_000)
    browser_page = context.new_page()
    browser_page.csp_violations = []
    browser_page.js_errors = []
    browser_page.on(
        "console",
        lambda msg: (
            browser_page.csp_violations.append(msg.text)
            if "Content Security Policy" in msg.text or "Content-Security-Policy" in msg.text
            else None
        ),
    )
    browser_page.on("pageerror", lambda exc: browser_page.js_errors.append(str(exc)))
    yield browser_page
    context.close()


@pytest.fixture
def login(page):
    """Log a user in through the real login form: `login(user)` (factory password `pass12345`)."""

    def do_login(user, password: str = "pass12345"):
        page.goto("/accounts/login/")
        page.fill("input[name=username]", user.username)
        page.fill("input[name=password]", password)
        page.click("button[type=submit]")
        page.wait_for_url(lambda url: "/accounts/login/" not in url)
        return page

    return do_login
