"""/schedule: the week's group classes with free places, booking, cancelling and the waitlist, and
what is left on the client's membership. The academy's services do the work; this module only reads
the buttons and composes the replies."""

from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from academy import selectors as academy_selectors
from academy import services as academy
from academy.models import Booking, MembershipPlan, Session

from .. import callbacks as cb
from .. import client as tg
from .. import replies
from ..context import Ctx

Action = cb.Schedule


def _when(session: Session) -> str:
    local = timezone.localtime(session.starts_at)
    return f"{date_format(local.date(), 'D d.m')} {local:%H:%M}"


def _label(item: academy_selectors.ClientSession) -> str:
    session = item.session
    if item.booking_status == Booking.Status.BOOKED:
        state = _("✅ booked")
    elif item.booking_status == Booking.Status.WAITLISTED:
        state = _("⏳ waitlist no. %(n)s") % {"n": item.waitlist_position}
    elif session.free_places:
        state = _("%(n)s free") % {"n": session.free_places}
    else:
        state = _("full")
    return f"{_when(session)} · {session.title} · {state}"


def _membership_line(ctx: Ctx) -> str:
    today = timezone.localdate()
    membership = academy.membership_usable(client=ctx.client, day=today)
    return _("Your membership: %(left)s") % {
        "left": academy.membership_left_text(membership, day=today)
    }


def _plans_rows() -> list[list[tuple[str, str]]]:
    plans = MembershipPlan.objects.filter(tariff__is_active=True).select_related("tariff")
    return [
        [
            (
                _("Buy “%(name)s” — %(price)s ₽")
                % {"name": plan.tariff.name, "price": replies.money(plan.tariff.price)},
                cb.buy(plan.tariff_id),
            )
        ]
        for plan in plans
    ]


def show_week(ctx: Ctx) -> None:
    week = academy_selectors.client_week(client=ctx.client)
    lines = [_("Classes in the coming week. Tap one to book or cancel."), _membership_line(ctx)]
    rows = [[(_label(item), cb.schedule(Action.SESSION, item.session.pk))] for item in week]
    if not week:
        lines[0] = _("No classes are scheduled for the coming week yet.")
    if academy.membership_usable(client=ctx.client, day=timezone.localdate()) is None:
        rows += _plans_rows()
    rows.append([(ctx.texts.get("btn_menu"), cb.Menu.MENU)])
    ctx.say("\n\n".join(lines), tg.keyboard(rows))


def _session_for(ctx: Ctx, prefix: str) -> Session | None:
    pk = cb.payload_id(ctx.data, prefix)
    session = (
        Session.objects.select_related("hall", "trainer").filter(pk=pk).first() if pk else None
    )
    if session is None:
        show_week(ctx)
    return session


def _show_session(ctx: Ctx, session: Session, prefix: str = "") -> None:
    booking = Booking.objects.filter(
        session=session,
        client=ctx.client,
        status__in=[Booking.Status.BOOKED, Booking.Status.WAITLISTED],
    ).first()
    lines = [
        f"{session.title}\n{_when(session)}–{timezone.localtime(session.ends_at):%H:%M}, "
        + _("hall “%(hall)s”, trainer %(trainer)s")
        % {"hall": session.hall, "trainer": session.trainer},
        _("Places: %(free)s free of %(capacity)s.")
        % {"free": session.free_places, "capacity": session.capacity},
    ]
    if prefix:
        lines.insert(0, prefix)
    rows = []
    if session.is_cancelled:
        lines.append(_("This session has been cancelled."))
    elif booking is not None:
        lines.append(
            _("You are booked.")
            if booking.status == Booking.Status.BOOKED
            else _("You are on the waitlist; we will tell you when a place is free.")
        )
        rows.append([(_("Cancel my booking"), cb.schedule(Action.CANCEL, session.pk))])
    elif session.free_places:
        rows.append([(_("Book"), cb.schedule(Action.BOOK, session.pk))])
    else:
        rows.append([(_("Join the waitlist"), cb.schedule(Action.BOOK, session.pk))])
    rows.append([(_("← All classes"), Action.WEEK)])
    ctx.say("\n".join(lines), tg.keyboard(rows))


def on_button(ctx: Ctx) -> None:
    data = ctx.data
    if data == Action.WEEK:
        show_week(ctx)
    elif data.startswith(Action.SESSION):
        if session := _session_for(ctx, Action.SESSION):
            _show_session(ctx, session)
    elif data.startswith(Action.BOOK):
        if session := _session_for(ctx, Action.BOOK):
            _book(ctx, session)
    elif data.startswith(Action.CANCEL):
        if session := _session_for(ctx, Action.CANCEL):
            _cancel(ctx, session)
    else:
        show_week(ctx)


def _book(ctx: Ctx, session: Session) -> None:
    try:
        result = academy.booking_create(session=session, client=ctx.client)
    except academy.AcademyError as exc:
        _show_session(ctx, session, prefix=str(exc))
        return
    session.refresh_from_db()
    day = timezone.localtime(session.starts_at).date()
    unpaid = not result.waitlisted and academy.membership_usable(client=ctx.client, day=day) is None
    if result.waitlisted:
        text = _("The class is full: you are no. %(n)s on the waitlist.") % {"n": result.position}
    else:
        text = _("Booked: %(session)s.") % {"session": academy.session_label(session)}
    if unpaid:
        text += " " + _(
            "You have no membership for that day yet: buy one below or pay at the desk."
        )
    _show_session(ctx, session, prefix=text)
    if unpaid and (rows := _plans_rows()):
        ctx.say(_("Memberships:"), tg.keyboard(rows))


def _cancel(ctx: Ctx, session: Session) -> None:
    booking = Booking.objects.filter(
        session=session,
        client=ctx.client,
        status__in=[Booking.Status.BOOKED, Booking.Status.WAITLISTED],
    ).first()
    if booking is None:
        _show_session(ctx, session)
        return
    try:
        academy.booking_cancel(booking=booking, by_client=True)
    except academy.AcademyError as exc:
        _show_session(ctx, session, prefix=str(exc))
        return
    session.refresh_from_db()
    _show_session(ctx, session, prefix=_("Your booking is cancelled."))
