"""Run every periodic job (or one) once, now, as beat would — but in this process.

For operators ("send the reminders now") and for tests that move the clock and then run the
scheduler. The job list is `CELERY_BEAT_SCHEDULE`, so a job added there is here too.
"""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from config.celery import app, import_task_modules


class Command(BaseCommand):
    help = "Run the periodic jobs of CELERY_BEAT_SCHEDULE once, now, in this process."

    def add_arguments(self, parser):
        parser.add_argument("--job", action="append", default=[], help="a job's name (repeatable)")
        parser.add_argument("--list", action="store_true", help="list the jobs and their schedules")

    def handle(self, *args, job: list[str], list: bool, **options):
        schedule = settings.CELERY_BEAT_SCHEDULE
        if list:
            for name, entry in schedule.items():
                self.stdout.write(f"{name}\t{entry['task']}\t{entry['schedule']}")
            return
        unknown = [name for name in job if name not in schedule]
        if unknown:
            raise CommandError(
                f"Unknown job(s): {', '.join(unknown)}. Known: {', '.join(sorted(schedule))}"
            )
        import_task_modules()
        failed = []
        for name, entry in schedule.items():
            if job and name not in job:
                continue
            task = app.tasks.get(entry["task"])
            if task is None:
                raise CommandError(f"Job {name}: task {entry['task']} is not registered")
            result = task.apply(args=entry.get("args", ()), kwargs=entry.get("kwargs", {}))
            if result.failed():
                failed.append(name)
                self.stderr.write(f"{name}: failed: {result.result!r}")
            else:
                self.stdout.write(f"{name}: ok")
        if failed:
            raise CommandError(f"{len(failed)} job(s) failed: {', '.join(failed)}")
