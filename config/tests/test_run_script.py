"""`make run` on another port hands out links to that port (payment links, the demo checkout's
return, CSRF origins all derive from SITE_URL)."""

import os
import subprocess
import sys

from django.conf import settings

PRINT_URLS = (
    "from django.conf import settings as s; "
    "print(s.SITE_URL, s.YOOKASSA_RETURN_URL, s.CSRF_TRUSTED_ORIGINS[0])"
)


def _run_env(**extra: str) -> dict[str, str]:
    """The environment scripts/run.sh gives the app, given these variables."""
    base = {k: v for k, v in os.environ.items() if k not in ("PORT", "SITE_URL", "DEBUG")}
    script = "source scripts/run-env.sh && env -0"
    result = subprocess.run(
        ["bash", "-c", script],
        cwd=settings.BASE_DIR,
        env=base | extra,
        capture_output=True,
        check=True,
    )
    pairs = [item.split("=", 1) for item in result.stdout.decode().split("\0") if "=" in item]
    return dict(pairs)


def _urls(env: dict[str, str]) -> list[str]:
    result = subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); {PRINT_URLS}"],
        cwd=settings.BASE_DIR,
        env=env | {"DJANGO_SETTINGS_MODULE": "config.settings.base"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.split()


def test_run_script_uses_the_shared_environment():
    script = (settings.BASE_DIR / "scripts" / "run.sh").read_text()
    assert "source scripts/run-env.sh" in script
    assert '"127.0.0.1:$PORT"' in script


def test_site_url_follows_port():
    assert _urls(_run_env(PORT="8101")) == [
        "http://127.0.0.1:8101",
        "http://127.0.0.1:8101/pay/return/",
        "http://127.0.0.1:8101",
    ]
    assert _urls(_run_env())[0] == "http://127.0.0.1:8000"


def test_an_explicit_site_url_wins():
    env = _run_env(PORT="8101", SITE_URL="https://crm.example.com")
    assert _urls(env)[0] == "https://crm.example.com"


def test_ci_fails_when_the_suite_leaves_the_tree_dirty(tmp_path):
    checker = settings.BASE_DIR / "scripts" / "check-clean-tree.sh"
    assert "scripts/check-clean-tree.sh" in (settings.BASE_DIR / ".ci" / "run").read_text()
    git = ["git", "-c", "user.email=t@example.com", "-c", "user.name=t"]
    subprocess.run([*git, "init", "-q", str(tmp_path)], check=True)
    (tmp_path / ".gitignore").write_text("*.sqlite3\n")
    subprocess.run([*git, "-C", str(tmp_path), "add", "."], check=True)
    subprocess.run([*git, "-C", str(tmp_path), "commit", "-qm", "init"], check=True)
    (tmp_path / "test.sqlite3").write_bytes(b"")  # ignored: fine
    assert subprocess.run([str(checker), str(tmp_path)], capture_output=True).returncode == 0
    (tmp_path / "test_crm_issue6").write_bytes(b"")  # a stray file: CI fails
    result = subprocess.run([str(checker), str(tmp_path)], capture_output=True, text=True)
    assert result.returncode == 1 and "test_crm_issue6" in result.stdout


def test_no_database_file_is_committed():
    tracked = subprocess.run(
        ["git", "ls-files"], cwd=settings.BASE_DIR, capture_output=True, text=True, check=True
    ).stdout.split()
    assert "test_crm_issue6" not in tracked
    assert not [name for name in tracked if name.endswith((".sqlite3", ".db"))]
    ignored = subprocess.run(
        ["git", "check-ignore", "-q", "any.sqlite3"], cwd=settings.BASE_DIR
    ).returncode
    assert ignored == 0
