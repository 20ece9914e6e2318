"""Tests: fast hashing, tasks run eagerly unless a test starts a real worker."""

import os

os.environ.setdefault("SECRET_KEY", "test-only-secret-key-not-for-production-use-0123456789")
os.environ.setdefault("CELERY_EMBEDDED_BROKER_ALLOWED", "1")  # the SQLite run of the suite

from .base import *  # noqa: F403
from .base import DATABASES, VAR_DIR

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
CELERY_TASK_ALWAYS_EAGER = True
CELERY_TASK_EAGER_PROPAGATES = True
AXES_ENABLED = True
MEDIA_ROOT = VAR_DIR / "test-media"

if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # A file, not memory: a real Celery worker started by an integration test must see it.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test.sqlite3")}
BACKUP_DIR = VAR_DIR / "test-backups"

# Tests make many API calls with tokens whose ids repeat between tests; the throttle test lowers it.
API_RATE = "100000/min"
