"""`manage.py check` fails when a task named by a string does not exist.

Lower domains call up into `botapp` (and a few other apps) by task name, through the follow-up
outbox (`config.celery.enqueue_on_commit`), so a typo in a name is not an ImportError: the outbox
would log "not registered" and the feature would silently stay off. This check reads the names our
code passes as strings — `*_TASK = "…"` constants and string literals given to `enqueue_on_commit`,
`send_task` or `signature` — plus the beat schedule and the urgent-queue routes, and looks each one
up in Celery's registry. A name whose app is not installed is skipped: that feature is off by design.
"""

import ast
import difflib
from collections.abc import Iterable, Iterator
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.core import checks

CALLS_WITH_A_TASK_NAME = {"enqueue_on_commit", "send_task", "signature", "followup_schedule"}
MARKERS = ("_TASK", *CALLS_WITH_A_TASK_NAME)


def _call_name(node: ast.Call) -> str:
    func = node.func
    return func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")


def named_tasks(paths: Iterable[Path]) -> Iterator[tuple[str, str]]:
    """(task name, "file:line") for every task name written as a string in these files."""
    for path in paths:
        text = path.read_text(encoding="utf-8")
        if not any(marker in text for marker in MARKERS):
            continue
        for node in ast.walk(ast.parse(text, filename=str(path))):
            value = None
            if isinstance(node, ast.Assign | ast.AnnAssign):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                if any(isinstance(t, ast.Name) and t.id.endswith("_TASK") for t in targets):
                    value = node.value
            elif isinstance(node, ast.Call) and _call_name(node) in CALLS_WITH_A_TASK_NAME:
                value = node.args[0] if node.args else None
            if isinstance(value, ast.Constant) and isinstance(value.value, str):
                yield value.value, f"{_shown(path)}:{node.lineno}"


def _shown(path: Path) -> str:
    try:
        return str(path.relative_to(settings.BASE_DIR))
    except ValueError:
        return str(path)


def _our_source_files() -> Iterator[Path]:
    base = Path(settings.BASE_DIR)
    roots = [base / "config"] + [
        Path(config.path) for config in apps.get_app_configs() if base in Path(config.path).parents
    ]
    for root in roots:
        for path in root.rglob("*.py"):
            parts = path.relative_to(root).parts
            if "tests" not in parts and "migrations" not in parts:
                yield path


def _configured_names() -> Iterator[tuple[str, str]]:
    from config.celery import URGENT_TASKS

    for key, entry in getattr(settings, "CELERY_BEAT_SCHEDULE", {}).items():
        yield entry["task"], f"CELERY_BEAT_SCHEDULE[{key!r}]"
    for name in sorted(URGENT_TASKS):
        yield name, "config.celery.URGENT_TASKS"


def unknown_task_errors(names: Iterable[tuple[str, str]]) -> list[checks.Error]:
    from config.celery import app, import_task_modules

    import_task_modules()
    registered = [name for name in app.tasks if not name.startswith("celery.")]
    errors = []
    for name, where in names:
        owner = name.split(".", 1)[0]
        if name in app.tasks or (owner != "config" and not apps.is_installed(owner)):
            continue
        close = difflib.get_close_matches(name, registered, n=1)
        errors.append(
            checks.Error(
                f"Task {name!r} (named in {where}) is not registered with Celery.",
                hint=f"Did you mean {close[0]!r}?" if close else "Check the task's name=.",
                obj=where,
                id="followups.E001",
            )
        )
    return errors


def task_names_check(app_configs=None, **kwargs) -> list[checks.Error]:
    return unknown_task_errors([*named_tasks(_our_source_files()), *_configured_names()])
