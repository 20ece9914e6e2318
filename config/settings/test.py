"""Tests: fast hashing, tasks run eagerly unless a test starts a real worker."""

import os

import jinja2

os.environ.setdefault("SECRET_KEY", "test-only-secret-key-not-for-production-use-0123456789")
os.environ.setdefault("CELERY_EMBEDDED_BROKER_ALLOWED", "1")  # the SQLite run of the suite

from .base import *  # noqa: F403
from .base import DATABASES, TEMPLATES, VAR_DIR

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# A real worker started by a test (conftest.start_celery_worker) turns it off: the tasks it queues
# itself (a flush coming back in a second) must go through the broker as in production.
CELERY_TASK_ALWAYS_EAGER = os.environ.get("CELERY_TASK_ALWAYS_EAGER", "1") == "1"
CELERY_TASK_EAGER_PROPAGATES = True
AXES_ENABLED = True
MEDIA_ROOT = VAR_DIR / "test-media"

if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # A file, not memory: a real Celery worker started by an integration test must see it.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test.sqlite3")}
BACKUP_DIR = VAR_DIR / "test-backups"

# Tests make many API calls with tokens whose ids repeat between tests; the throttle test lowers it.
API_RATE = "100000/min"

# A Jinja2 row template that names a missing variable fails its test (production renders it empty).
TEMPLATES[1]["OPTIONS"]["undefined"] = jinja2.StrictUndefined
