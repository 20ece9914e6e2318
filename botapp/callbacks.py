"""The callback data of the bot's inline buttons: the protocol between a keyboard and the router.

Button labels are editable texts and never part of the protocol; only these values are. A value has a
fixed prefix (what the router matches on) and, for families of buttons, a payload after it (a FAQ id,
a tariff id, a question's step and answer). Telegram limits callback data to 64 bytes.
"""

from enum import StrEnum


class Menu(StrEnum):
    FREE = "m:free"
    TARIFFS = "m:tariffs"
    FAQ = "m:faq"
    CONTACTS = "m:contacts"
    MENU = "m:menu"


class Summary(StrEnum):
    CONFIRM = "s:ok"
    CHANGE = "s:chg"


class Checkin(StrEnum):
    SKIP = "pc:skip"
    CANCEL = "pc:cancel"


class Auto(StrEnum):
    """Buttons of automation messages (built by `automations.services._markup`)."""

    CHECKIN = "auto:checkin"
    TRAINER = "auto:trainer"


PROMO = "promo"
# Prefixes of button families (the router matches on them; the builders below fill them in).
MENU = "m:"
FAQ = "faq:"
ANSWER = "q:"
SUMMARY = "s:"
EDIT = "e:"
BUY = "buy:"
CHECKIN = "pc:"
NPS = "nps:"  # nps:<automation run id>:<score 0–10> (built by `automations.services._markup`)
SCHEDULE = "sch:"
CONSENT = "pd:"  # pd:<kind>:<answer>:<then> (built by `consent` below)
FORGET = "fg:"


class Schedule(StrEnum):
    WEEK = "sch:w"
    SESSION = "sch:s:"
    BOOK = "sch:b:"
    CANCEL = "sch:c:"


class ConsentAnswer(StrEnum):
    AGREE = "y"
    DECLINE = "n"
    ASK = "a"  # "I changed my mind": show the consent text again
    WITHDRAW = "w"  # from /consent: what withdrawing means, to confirm
    WITHDRAW_CONFIRMED = "x"


class ConsentNext(StrEnum):
    """Where the bot goes on after an agreement: what the person was about to do."""

    MENU = "m"
    QUESTIONNAIRE = "q"
    CHECKIN = "c"


class Forget(StrEnum):
    CONFIRM = "fg:yes"
    KEEP = "fg:no"


def faq(entry_id: int) -> str:
    return f"{FAQ}{entry_id}"


def answer(step: str, value: str) -> str:
    return f"{ANSWER}{step}:{value}"


def edit(step: str) -> str:
    return f"{EDIT}{step}"


def buy(tariff_id: int) -> str:
    return f"{BUY}{tariff_id}"


def schedule(action: Schedule, session_id: int) -> str:
    return f"{action}{session_id}"


def consent(kind: str, answer: ConsentAnswer, then: ConsentNext) -> str:
    """`kind` is a `privacy.models.ConsentKind` value ("personal", "health")."""
    return f"{CONSENT}{kind}:{answer}:{then}"


def consent_parse(data: str) -> tuple[str, ConsentAnswer, ConsentNext] | None:
    """(kind, answer, then) of a consent button; None when malformed (the kind is checked by the
    handler against `ConsentKind`)."""
    kind, answer, then = [*payload(data, CONSENT).split(":"), "", ""][:3]
    try:
        return kind, ConsentAnswer(answer), ConsentNext(then)
    except ValueError:
        return None


def payload(data: str, prefix: str) -> str:
    """What follows the prefix ("" when the data does not start with it)."""
    return data[len(prefix) :] if data.startswith(prefix) else ""


def payload_id(data: str, prefix: str) -> int | None:
    """The numeric id after the prefix, or None for a malformed or foreign value."""
    rest = payload(data, prefix)
    return int(rest) if rest.isdigit() else None


def answer_parse(data: str) -> tuple[str, str]:
    """(step, value) of an answer button; ("", "") when malformed."""
    step, _sep, value = payload(data, ANSWER).partition(":")
    return (step, value) if step and value else ("", "")


def nps_parse(data: str) -> tuple[int | None, int | None]:
    """(run id, score) of an NPS button; (None, None) when malformed or the score is not 0–10."""
    run, _sep, score = payload(data, NPS).partition(":")
    if not (run.isdigit() and score.isdigit() and 0 <= int(score) <= 10):
        return None, None
    return int(run), int(score)
