"""Settings shared by every environment.

Everything configurable comes from the environment or a `.env` file (django-environ), each with a
safe default: with nothing set the app runs on a SQLite file and an embedded Celery broker under `var/`.
"""

from pathlib import Path

import environ
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _
from kombu import Queue

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = BASE_DIR / "var"
VAR_DIR.mkdir(exist_ok=True)

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DEBUG", default=False)

_DEV_SECRET_KEY = "dev-only-insecure-key-do-not-use-in-production"
SECRET_KEY = env.str("SECRET_KEY", default=_DEV_SECRET_KEY if DEBUG else "")
if not SECRET_KEY:
    raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")

ALLOWED_HOSTS = env.list(
    "ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"] if DEBUG else []
)
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[SITE_URL])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "template_partials",
    "axes",
    "audit",
    "crm",
    "pipeline",
    "programs",
    "progress",
    "payments",
    "botapp",
    "followups",
    "ui",
    "marketing",
    "ops",
    "privacy",
    "automations",
    "academy",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "api",
    "desk",
]

MIDDLEWARE = [
    "ops.logs.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "config.middleware.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "audit.context.AuditOriginMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Axes must come last: it turns a lockout into its own response.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
            ],
        },
    },
    {
        # Only for the rows of the longest lists (board cards, client list rows), included from
        # Django templates with `{% jinja %}`: the same markup renders ~9x faster (ui/jinja.py).
        "BACKEND": "django.template.backends.jinja2.Jinja2",
        "APP_DIRS": True,
        "OPTIONS": {"environment": "ui.jinja.environment"},
    },
]

# --- Database -----------------------------------------------------------------------------------
DATABASES = {
    "default": env.db_url("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}"),
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the web process read while the worker writes; the busy timeout makes a writer wait
    # for the lock instead of failing with "database is locked"; IMMEDIATE takes the write lock at
    # BEGIN so two writers never deadlock upgrading a read lock.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "timeout": 30,
            "transaction_mode": "IMMEDIATE",
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )
else:
    DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=60))
    DATABASES["default"].setdefault("CONN_HEALTH_CHECKS", True)

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Auth ---------------------------------------------------------------------------------------
AUTH_USER_MODEL = "crm.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "crm:dashboard"
LOGOUT_REDIRECT_URL = "login"

# Five wrong passwords for an account, from whatever addresses, lock it for 15 minutes; twenty from
# one address, for whatever accounts, lock that address (crm.lockout).
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_ADDRESS_FAILURE_LIMIT = env.int("AXES_ADDRESS_FAILURE_LIMIT", default=20)
AXES_COOLOFF_TIME = env.float("AXES_COOLOFF_HOURS", default=0.25)
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_HANDLER = "crm.lockout.AccountAndAddressHandler"
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_RESET_ON_SUCCESS = True
AXES_CLIENT_IP_CALLABLE = "config.ip.client_ip"

# Client addresses behind reverse proxies (config.ip): X-Forwarded-For is read only when the peer is
# one of TRUSTED_PROXIES, and only PROXY_COUNT hops deep. 0 = no proxy: the header is ignored.
PROXY_COUNT = env.int("PROXY_COUNT", default=0)
TRUSTED_PROXIES = env.list(
    "TRUSTED_PROXIES",
    default=["127.0.0.0/8", "::1/128", "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fc00::/7"],
)

# --- i18n ---------------------------------------------------------------------------------------
# Russian everywhere, whatever the browser asks for (no LocaleMiddleware): one language for the
# whole team and the bot. English msgids stay the source for future translations.
LANGUAGE_CODE = "ru"
LANGUAGES = [("ru", _("Russian")), ("en", _("English"))]
# Our catalogues outrank Django's and third-party apps' (LOCALE_PATHS beat INSTALLED_APPS), so a
# msgid we share with them ("Home", "Email", "Search"…) reads as we translated it. Our apps in
# INSTALLED_APPS order (makemessages files a source under the first path whose parent holds it), then
# locale/ for templates/ and config/. Checked by crm/tests/test_i18n.py.
LOCALE_PATHS = [
    *(BASE_DIR / app / "locale" for app in INSTALLED_APPS if (BASE_DIR / app / "locale").is_dir()),
    BASE_DIR / "locale",
]
USE_I18N = True
TIME_ZONE = env.str("TIME_ZONE", default="Europe/Moscow")
USE_TZ = True

# --- Static and media ---------------------------------------------------------------------------
STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = BASE_DIR / "staticfiles"  # filled by collectstatic in production
STATIC_ROOT.mkdir(exist_ok=True)
MEDIA_URL = "media/"
# Media (program PDFs, progress photos) is private: served only through views that check access.
MEDIA_ROOT = env.path("MEDIA_ROOT", default=str(VAR_DIR / "media"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# --- Security -----------------------------------------------------------------------------------
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False  # htmx reads no cookie (the token is in hx-headers), but forms may.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; "
    "form-action 'self'; frame-ancestors 'none'"
)
# Browser features no page of ours uses stay off, also for anything injected into a page.
PERMISSIONS_POLICY = (
    "accelerometer=(), camera=(), geolocation=(), gyroscope=(), magnetometer=(), microphone=(), "
    "payment=(), usb=()"
)

# --- Celery -------------------------------------------------------------------------------------
REDIS_URL = env.str("REDIS_URL", default="")
CELERY_DATA_DIR = VAR_DIR / "celery"
# The embedded broker (files under var/) is for development and tests: it cannot hand a dead
# worker's task to another one, so production refuses to start on it.
CELERY_EMBEDDED_BROKER_ALLOWED = env.bool("CELERY_EMBEDDED_BROKER_ALLOWED", default=DEBUG)
if not REDIS_URL and not CELERY_EMBEDDED_BROKER_ALLOWED:
    raise ImproperlyConfigured(
        "REDIS_URL must be set when DEBUG is off: production needs Redis as the Celery broker "
        "(the embedded file-system broker loses the tasks of a worker that dies). "
        "For a trial without Redis set DEBUG=1 or CELERY_EMBEDDED_BROKER_ALLOWED=1."
    )
# Hard time limit of any task unless it says otherwise (the longest, the program sheet's sync,
# allows itself 6 minutes). Redis hands a task whose worker died to another worker after the
# visibility timeout: comfortably longer than the longest task, and minutes, not an hour.
CELERY_TASK_TIME_LIMIT = 300
CELERY_TASK_SOFT_TIME_LIMIT = 270
CELERY_VISIBILITY_TIMEOUT = 900
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    CELERY_RESULT_BACKEND = REDIS_URL
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": CELERY_VISIBILITY_TIMEOUT}
    CELERY_RESULT_BACKEND_TRANSPORT_OPTIONS = {"visibility_timeout": CELERY_VISIBILITY_TIMEOUT}
else:
    # Embedded broker: kombu's filesystem transport, no server needed.
    for _sub in ("out", "processed", "results", "control"):
        (CELERY_DATA_DIR / _sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_URL = "filesystem://"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(CELERY_DATA_DIR / "out"),
        "data_folder_out": str(CELERY_DATA_DIR / "out"),
        "processed_folder": str(CELERY_DATA_DIR / "processed"),
        # Broadcast (control) exchanges; kombu's default is a "control" folder in the working dir.
        "control_folder": str(CELERY_DATA_DIR / "control"),
        "store_processed": False,
    }
    CELERY_RESULT_BACKEND = f"file://{CELERY_DATA_DIR / 'results'}"
# Cache (throttles, counters): shared through Redis when there is one, per process otherwise.
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
    if REDIS_URL
    else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
}
CELERY_TASK_DEFAULT_QUEUE = env.str("CELERY_QUEUE", default="celery")
# Clients' answers have a queue of their own (see config.celery.route_task); a worker takes both.
CELERY_TASK_QUEUES = [
    Queue(CELERY_TASK_DEFAULT_QUEUE),
    Queue(f"{CELERY_TASK_DEFAULT_QUEUE}.urgent"),
]
CELERY_TASK_ROUTES = ("config.celery.route_task",)
# A fresh process now and then: a leak in a library (WeasyPrint, httpx) cannot grow for ever.
CELERY_WORKER_MAX_TASKS_PER_CHILD = env.int("CELERY_WORKER_MAX_TASKS_PER_CHILD", default=200)
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_RESULT_EXPIRES = 3600
# Nobody waits for a task's result except the health round trip (which asks for it): a publisher
# that keeps results subscribes to each task's result channel in Redis, and after a Redis outage of
# ~20 s its result consumer gives up for good ("the Celery application must be restarted") — every
# later publish from that web process would fail.
CELERY_TASK_IGNORE_RESULT = True
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
# Periodic jobs; each domain adds its own entries here.
CELERY_BEAT_SCHEDULE: dict = {
    # Settle online payments whose webhook never came.
    "payments-check-pending": {
        "task": "payments.tasks.payments_check_pending_task",
        "schedule": 300,
    },
    # Stored YooKassa notifications left unprocessed (the API or the broker was down).
    "payments-notifications-reprocess": {
        "task": "payments.notifications_reprocess",
        "schedule": 60,
    },
    # Paid programs that never reached their payer; open and recent payments against YooKassa.
    "payments-paid-programs-reconcile": {
        "task": "payments.paid_programs_reconcile",
        "schedule": 600,
    },
    "payments-compare-daily": {
        "task": "payments.compare_daily",
        "schedule": crontab(hour=4, minute=45),
    },
    # Follow-ups the broker could not take at commit (it was down): handed over once it is back.
    "followups-relay": {
        "task": "followups.relay",
        "schedule": 60,
    },
    # Telegram updates stored but never processed (their task was lost with a worker).
    "botapp-updates-reconcile": {
        "task": "botapp.updates_reconcile",
        "schedule": 300,
    },
    # Bot messages left pending by a worker that died between commit and send.
    "botapp-outbox-sweep": {
        "task": "botapp.outbox_sweep",
        "schedule": 60,
    },
    # Picks up the trainer's edits in the program sheet (a no-op when nothing changed).
    "programs-free-reconcile": {
        "task": "programs.tasks.free_programs_reconcile_task",
        "schedule": 600,
    },
    "programs-templates-sync": {
        "task": "programs.tasks.templates_sync_task",
        "schedule": crontab(hour=4, minute=15),
    },
}

# Pages' aggregates (analytics' last 90 days, revenue) computed in the background for each viewer's
# scope (crm.summaries); each domain adds its own. A page shows when its numbers were computed.
SUMMARY_REFRESH_SECONDS = env.int("SUMMARY_REFRESH_SECONDS", default=900)
SUMMARIES: list[str] = [
    "pipeline.selectors.analytics_summary",
    "progress.selectors.analytics_summary",
    "payments.selectors.revenue_summary",
]
CELERY_BEAT_SCHEDULE["crm-summaries-refresh"] = {
    "task": "crm.summaries_refresh",
    "schedule": SUMMARY_REFRESH_SECONDS,
    "options": {"expires": SUMMARY_REFRESH_SECONDS},  # a late one is replaced by the next
}
# The clients-per-stage tally is kept by database triggers (crm.tally); once a night it is recounted,
# and a difference is mended and logged.
CELERY_BEAT_SCHEDULE["crm-tally-rebuild"] = {
    "task": "crm.tally_rebuild",
    "schedule": crontab(hour=2, minute=40),
}

# Automations (rules engine): every rule that is on is evaluated every 5 minutes. The weekly check-in
# prompt is one of its rules. Quiet hours (local time, "21-9"; empty = none) postpone messages.
QUIET_HOURS = env.str("QUIET_HOURS", default="21-9")
CELERY_BEAT_SCHEDULE["automations-run"] = {
    "task": "automations.engine_run",
    "schedule": 300,
}

# Academy (group classes): how far ahead sessions are generated, the client's cancellation
# deadline, the reminder before a booked class, the missed-in-a-row alert and membership reminders.
ACADEMY_SCHEDULE_WEEKS = env.int("ACADEMY_SCHEDULE_WEEKS", default=4)
ACADEMY_CANCEL_HOURS = env.int("ACADEMY_CANCEL_HOURS", default=3)
ACADEMY_REMINDER_HOURS = env.int("ACADEMY_REMINDER_HOURS", default=2)
ACADEMY_MISSED_THRESHOLD = env.int("ACADEMY_MISSED_THRESHOLD", default=2)
ACADEMY_MAX_FREEZE_DAYS = env.int("ACADEMY_MAX_FREEZE_DAYS", default=30)
CELERY_BEAT_SCHEDULE.update(
    {
        "academy-sessions-generate": {
            "task": "academy.tasks.sessions_generate_task",
            "schedule": crontab(hour=3, minute=30),
        },
        "academy-booking-reminders": {
            "task": "academy.tasks.booking_reminders_task",
            "schedule": 600,
        },
        # The jobs that write to clients run hourly and skip quiet hours (academy.reminders).
        "academy-missed-streaks": {
            "task": "academy.tasks.missed_streaks_task",
            "schedule": crontab(minute=20),
        },
        "academy-membership-ending": {
            "task": "academy.tasks.membership_ending_task",
            "schedule": crontab(minute=0),
        },
        "academy-memberships-expire": {
            "task": "academy.tasks.memberships_expire_task",
            "schedule": crontab(minute=15),
        },
    }
)

# The trainer hears about a week a client ended without a check-in (progress), once per week.
CELERY_BEAT_SCHEDULE["progress-checkins-missed"] = {
    "task": "progress.checkins_missed_notify",
    "schedule": crontab(hour=10, minute=5),
}

# --- Outside services ---------------------------------------------------------------------------
TELEGRAM_BOT_TOKEN = env.str("TELEGRAM_BOT_TOKEN", default="")
TELEGRAM_WEBHOOK_SECRET = env.str("TELEGRAM_WEBHOOK_SECRET", default="")
TELEGRAM_API_BASE_URL = env.str("TELEGRAM_API_BASE_URL", default="https://api.telegram.org").rstrip(
    "/"
)
TELEGRAM_ADMIN_CHAT_ID = env.str("TELEGRAM_ADMIN_CHAT_ID", default="")
# Telegram's limits, shared by all workers: ~30 messages/s overall, ~1 message/s per chat.
TELEGRAM_RATE_GLOBAL = env.float("TELEGRAM_RATE_GLOBAL", default=30.0)
TELEGRAM_RATE_PER_CHAT = env.float("TELEGRAM_RATE_PER_CHAT", default=1.0)
# A reply of a few messages may leave at once, then the per-chat rate applies.
TELEGRAM_BURST_PER_CHAT = env.int("TELEGRAM_BURST_PER_CHAT", default=3)
# Groups and channels (the staff chat): Telegram allows about 20 messages a minute.
TELEGRAM_RATE_PER_GROUP_MINUTE = env.float("TELEGRAM_RATE_PER_GROUP_MINUTE", default=20.0)

YOOKASSA_SHOP_ID = env.str("YOOKASSA_SHOP_ID", default="")
YOOKASSA_SECRET_KEY = env.str("YOOKASSA_SECRET_KEY", default="")
YOOKASSA_API_URL = env.str("YOOKASSA_API_URL", default="https://api.yookassa.ru/v3").rstrip("/")
YOOKASSA_RETURN_URL = env.str("YOOKASSA_RETURN_URL", default=f"{SITE_URL}/pay/return/")
# 54-FZ receipts: on when the shop is set up to send them through YooKassa.
YOOKASSA_RECEIPTS = env.bool("YOOKASSA_RECEIPTS", default=False)
YOOKASSA_VAT_CODE = env.int("YOOKASSA_VAT_CODE", default=1)
# Accept webhooks only from YooKassa's published networks (on in production settings).
YOOKASSA_WEBHOOK_CHECK_IP = env.bool("YOOKASSA_WEBHOOK_CHECK_IP", default=False)
# Our reverse proxies (addresses or networks) whose X-Forwarded-For is believed.

PROGRAM_SHEET_KEY = env.str("PROGRAM_SHEET_KEY", default="")
PROGRAM_SHEET_CSV_URLS = env.list("PROGRAM_SHEET_CSV_URLS", default=[])
GOOGLE_SERVICE_ACCOUNT_FILE = env.str("GOOGLE_SERVICE_ACCOUNT_FILE", default="")

LLM_API_BASE_URL = env.str("LLM_API_BASE_URL", default="")
LLM_API_KEY = env.str("LLM_API_KEY", default="")
LLM_MODEL = env.str("LLM_MODEL", default="")
LLM_TIMEOUT = env.float("LLM_TIMEOUT", default=30.0)
LLM_MAX_RETRIES = env.int("LLM_MAX_RETRIES", default=1)
GOOGLE_SHEETS_API_URL = env.str(
    "GOOGLE_SHEETS_API_URL", default="https://sheets.googleapis.com/v4/spreadsheets"
)
# Weeks of the full program a free program gives (paid programs get all of them).
PROGRAM_FREE_WEEKS = env.int("PROGRAM_FREE_WEEKS", default=1)

# Websites allowed to post the contact form from a browser (CORS), e.g. https://trainer.example.com
WEBSITE_FORM_ALLOWED_ORIGINS = env.list("WEBSITE_FORM_ALLOWED_ORIGINS", default=[])
# Anonymous writes per visitor address and hour: each one creates a client (and on /pay/ a payment).
CONTACT_FORM_RATE_PER_ADDRESS = env.int("CONTACT_FORM_RATE_PER_ADDRESS", default=10)
PAY_RATE_PER_ADDRESS = env.int("PAY_RATE_PER_ADDRESS", default=10)

# Marketing: the bot's public username (for t.me deep links; website settings may override it), the
# channel and VK community that scheduled posts go to, and the website chat's limits.
TELEGRAM_BOT_USERNAME = env.str("TELEGRAM_BOT_USERNAME", default="")
TELEGRAM_CHANNEL_ID = env.str("TELEGRAM_CHANNEL_ID", default="")
VK_API_BASE_URL = env.str("VK_API_BASE_URL", default="https://api.vk.com/method").rstrip("/")
VK_ACCESS_TOKEN = env.str("VK_ACCESS_TOKEN", default="")
VK_GROUP_ID = env.str("VK_GROUP_ID", default="")
VK_API_VERSION = env.str("VK_API_VERSION", default="5.199")
# The chat answers while the visitor waits: a short LLM timeout, then the standard answer.
CHAT_LLM_TIMEOUT = env.float("CHAT_LLM_TIMEOUT", default=12.0)
CHAT_MAX_CHARS = env.int("CHAT_MAX_CHARS", default=1000)
CHAT_RATE_PER_ADDRESS = env.int("CHAT_RATE_PER_ADDRESS", default=60)  # messages per hour
CHAT_RATE_PER_VISITOR = env.int("CHAT_RATE_PER_VISITOR", default=20)  # messages per 10 minutes
# Scheduled social posts go out at the first check after their time.
CELERY_BEAT_SCHEDULE["marketing-posts-publish"] = {
    "task": "marketing.posts_publish_due",
    "schedule": 600,
}

# Timeout in seconds for every call to an outside service.
EXTERNAL_HTTP_TIMEOUT = env.float("EXTERNAL_HTTP_TIMEOUT", default=15.0)

# --- Operations: backups, health, logs, alerts ------------------------------------------------------
# Nightly backups (pg_dump -Fc / SQLite online backup + media), checksummed, kept 30 days; the newest
# of each week is kept BACKUP_WEEKLY_RETENTION_WEEKS weeks. Copy BACKUP_DIR off the machine (README).
BACKUP_DIR = env.path("BACKUP_DIR", default=str(VAR_DIR / "backups"))
BACKUP_RETENTION_DAYS = env.int("BACKUP_RETENTION_DAYS", default=30)
BACKUP_WEEKLY_RETENTION_WEEKS = env.int("BACKUP_WEEKLY_RETENTION_WEEKS", default=12)
BACKUP_MIN_FREE_MB = env.int("BACKUP_MIN_FREE_MB", default=200)
# The restore drill's scratch PostgreSQL database (default: <DATABASE NAME>_restore_drill).
BACKUP_DRILL_DATABASE = env.str("BACKUP_DRILL_DATABASE", default="")
# /healthz thresholds.
HEALTH_DISK_MIN_FREE_MB = env.int("HEALTH_DISK_MIN_FREE_MB", default=1024)
HEALTH_BACKUP_MAX_AGE_HOURS = env.int("HEALTH_BACKUP_MAX_AGE_HOURS", default=26)
HEALTH_DRILL_MAX_AGE_DAYS = env.int("HEALTH_DRILL_MAX_AGE_DAYS", default=8)
HEALTH_BEAT_MAX_AGE_SECONDS = env.int("HEALTH_BEAT_MAX_AGE_SECONDS", default=300)
HEALTH_OUTBOX_MAX_AGE_SECONDS = env.int("HEALTH_OUTBOX_MAX_AGE_SECONDS", default=600)
HEALTH_TASKS_MAX_AGE_SECONDS = env.int("HEALTH_TASKS_MAX_AGE_SECONDS", default=300)
HEALTH_TELEGRAM_CACHE_SECONDS = env.int("HEALTH_TELEGRAM_CACHE_SECONDS", default=60)
HEALTH_TELEGRAM_TIMEOUT = env.float("HEALTH_TELEGRAM_TIMEOUT", default=5.0)
HEALTH_WORKER_TIMEOUT = env.float("HEALTH_WORKER_TIMEOUT", default=10.0)
HEALTH_WORKER_CACHE_SECONDS = env.int("HEALTH_WORKER_CACHE_SECONDS", default=30)
# Lets a monitor run `/healthz?worker=1` live (header X-Healthz-Token); others get a shared answer.
HEALTHZ_TOKEN = env.str("HEALTHZ_TOKEN", default="")
# The same error reaches the staff chat at most once per window (repeats are counted).
ALERT_WINDOW_SECONDS = env.int("ALERT_WINDOW_SECONDS", default=600)

# 152-FZ: a forgotten client's data is purged by the daily job after this many days (law: 30 at most).
PRIVACY_PURGE_GRACE_DAYS = env.int("PRIVACY_PURGE_GRACE_DAYS", default=3)
PRIVACY_EXPORT_DIR = env.path("PRIVACY_EXPORT_DIR", default=str(VAR_DIR / "exports"))
PRIVACY_EXPORT_PART_MB = env.int("PRIVACY_EXPORT_PART_MB", default=45)  # Telegram: 50 MB a file
PRIVACY_EXPORT_KEEP_HOURS = env.int("PRIVACY_EXPORT_KEEP_HOURS", default=24)

CELERY_BEAT_SCHEDULE.update(
    {
        "privacy-purge-daily": {
            "task": "privacy.purge_daily",
            "schedule": crontab(hour=3, minute=0),
        },
        # Proves beat → broker → worker → database work (/healthz "beat").
        "ops-heartbeat": {"task": "ops.heartbeat", "schedule": 60},
        "ops-backup-nightly": {
            "task": "ops.backup_nightly",
            "schedule": crontab(hour=2, minute=0),
        },
        # The query planner's statistics (SQLite keeps none by itself), after the backup.
        "ops-database-analyze": {
            "task": "ops.database_analyze",
            "schedule": crontab(hour=2, minute=30),
        },
        # Sunday morning, after Sunday's backup.
        "ops-restore-drill-weekly": {
            "task": "ops.restore_drill_weekly",
            "schedule": crontab(hour=3, minute=30, day_of_week=0),
        },
    }
)
# Our logging config stays in charge in the worker too (Celery would replace the root handlers).
CELERY_WORKER_HIJACK_ROOT_LOGGER = False

# --- Logging ------------------------------------------------------------------------------------
# JSON lines to stdout and to a rotating file per process kind under LOG_DIR (web.log, worker.log,
# <command>.log: one writer per file, so rotation never races another process).
LOG_DIR = env.path("LOG_DIR", default=str(VAR_DIR / "log"))
LOG_FORMAT = env.str("LOG_FORMAT", default="json")  # "json" or "plain"


def _log_file_name() -> str:
    import sys

    argv = [Path(a).name for a in sys.argv[:3]]
    if any("celery" in a for a in argv):
        return "worker.log"
    if len(argv) > 1 and argv[0] == "manage.py" and argv[1] not in ("runserver",):
        return f"{argv[1]}.log"
    if argv and argv[0].startswith(("pytest", "py.test")):
        return "tests.log"
    return "web.log"


Path(LOG_DIR).mkdir(parents=True, exist_ok=True)
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "ops.logs.RequestIdFilter"}},
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s]: %(message)s"},
        "json": {"()": "ops.logs.JsonFormatter"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": LOG_FORMAT,
            "filters": ["request_id"],
        },
        "file": {
            "class": "logging.handlers.RotatingFileHandler",
            "filename": str(Path(LOG_DIR) / _log_file_name()),
            "maxBytes": env.int("LOG_FILE_MAX_BYTES", default=20 * 1024 * 1024),
            "backupCount": env.int("LOG_FILE_BACKUPS", default=10),
            "encoding": "utf-8",
            "formatter": "json",
            "filters": ["request_id"],
        },
        "staff_chat": {
            "class": "ops.logs.StaffChatAlertHandler",
            "level": "ERROR",
            "filters": ["request_id"],
        },
    },
    "root": {
        "handlers": ["console", "file", "staff_chat"],
        "level": env.str("LOG_LEVEL", default="INFO"),
    },
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "axes": {"level": "WARNING"},
        "weasyprint": {"level": "WARNING"},  # logs every layout step at INFO
        "fontTools": {"level": "WARNING"},
    },
}

# --- REST API and outgoing webhooks ---------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "api.auth.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["api.auth.RolePermission"],
    "DEFAULT_THROTTLE_CLASSES": ["api.auth.TokenRateThrottle"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "api.errors.api_exception_handler",
    "COERCE_DECIMAL_TO_STRING": True,
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Fitness CRM API",
    "DESCRIPTION": "Clients, pipeline, programs, progress, payments and analytics. "
    "Authenticate with a personal token: `Authorization: Bearer crm_…` (create it on your profile).",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    # Swagger UI from our own static files (no CDN), its script a separate file for the strict CSP.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "api.errors.document_errors",
    ],
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "ProgramKindEnum": "programs.models.TrainingProgram.Kind",
        "ActionKindEnum": "crm.models.ClientAction.Kind",
        "PaymentStatusEnum": "payments.models.Payment.Status",
        "SessionStatusEnum": "academy.models.Session.Status",
        "BookingStatusEnum": "academy.models.Booking.Status",
        "AttendanceStatusEnum": "academy.models.Attendance.Status",
    },
}
# Requests per token (or signed-in user) per period: "120/min", "5000/hour"…
API_RATE = env.str("API_RATE", default="120/min")
# Webhooks never go to loopback or private networks unless this is on (tests, an on-premises receiver).
WEBHOOKS_ALLOW_PRIVATE_NETWORKS = env.bool("WEBHOOKS_ALLOW_PRIVATE_NETWORKS", default=False)
CELERY_BEAT_SCHEDULE["api-webhooks-send-due"] = {
    "task": "api.tasks.webhooks_send_due_task",
    "schedule": 60,
}
