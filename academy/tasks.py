"""Beat jobs: thin wrappers around the academy's services (each idempotent on its own)."""

from celery import shared_task

from . import reminders, services


@shared_task(name="academy.tasks.sessions_generate_task")
def sessions_generate_task() -> int:
    """Nightly: dated sessions for the coming weeks."""
    return services.sessions_generate()


@shared_task(name="academy.tasks.booking_reminders_task")
def booking_reminders_task() -> int:
    """Every 10 minutes: the reminder before each booked session, once."""
    return reminders.booking_reminders_send()


@shared_task(name="academy.tasks.missed_streaks_task")
def missed_streaks_task() -> int:
    """Hourly: the missed-classes alert, once per streak."""
    return reminders.missed_streaks_check()


@shared_task(name="academy.tasks.membership_ending_task")
def membership_ending_task() -> int:
    """Hourly outside quiet hours: the reminder when one visit is left, once."""
    return reminders.membership_ending_remind()


@shared_task(name="academy.tasks.memberships_expire_task")
def memberships_expire_task() -> int:
    """Hourly outside quiet hours: ended or used-up memberships closed, with a message."""
    return reminders.memberships_expire()
