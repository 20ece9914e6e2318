"""What the bot shows: keyboards and composed messages, built from the editable texts (`Texts`)
and the callback-data protocol (`callbacks`). No handler and no service logic here."""

from decimal import Decimal

from . import callbacks as cb
from . import client as tg
from . import questionnaire as q
from .texts import Texts


def menu_markup(texts: Texts) -> dict:
    return tg.keyboard(
        [
            [(texts.get("btn_free"), cb.Menu.FREE)],
            [(texts.get("btn_tariffs"), cb.Menu.TARIFFS)],
            [(texts.get("btn_faq"), cb.Menu.FAQ), (texts.get("btn_contacts"), cb.Menu.CONTACTS)],
        ]
    )


def back_markup(texts: Texts) -> dict:
    return tg.keyboard([[(texts.get("btn_menu"), cb.Menu.MENU)]])


def faq_list_markup(texts: Texts, entries: list[tuple[int, str]]) -> dict:
    rows = [[(question, cb.faq(pk))] for pk, question in entries]
    rows.append([(texts.get("btn_menu"), cb.Menu.MENU)])
    return tg.keyboard(rows)


def faq_entry_markup(texts: Texts) -> dict:
    return tg.keyboard(
        [[(texts.get("btn_faq"), cb.Menu.FAQ), (texts.get("btn_menu"), cb.Menu.MENU)]]
    )


def question_markup(question: q.Question) -> dict | None:
    choices = question.choices
    if not choices:
        return None
    buttons = [(label, cb.answer(question.step, value)) for value, label in choices]
    rows = [buttons[i : i + question.columns] for i in range(0, len(buttons), question.columns)]
    return tg.keyboard(rows)


def question_text(texts: Texts, question: q.Question, prefix: str = "") -> str:
    text = texts.get(f"q_{question.step}")
    return f"{prefix}\n\n{text}" if prefix else text


def summary_markup(texts: Texts) -> dict:
    return tg.keyboard(
        [
            [(texts.get("btn_confirm"), cb.Summary.CONFIRM)],
            [(texts.get("btn_change"), cb.Summary.CHANGE)],
        ]
    )


def change_markup() -> dict:
    return tg.keyboard([[(question.label, cb.edit(question.step))] for question in q.QUESTIONS])


def money(value: Decimal) -> str:
    return f"{value:,.0f}".replace(",", " ") if value == value.to_integral() else f"{value:,.2f}"


def tariffs_message(texts: Texts, *, intro: str = "", promo: str = "") -> tuple[str, dict]:
    """The tariffs with a Buy button each (and a promo-code button), or a "soon" text."""
    from payments.selectors import tariff_offers

    offers = tariff_offers()
    if not offers:
        return texts.get("no_tariffs"), back_markup(texts)
    lines = []
    for offer in offers:
        tariff = offer.tariff
        line = f"• {tariff.name} — {money(tariff.price)} ₽"
        if tariff.description:
            line += f"\n  {tariff.description}"
        for promotion in offer.promotions:
            if promotion == offer.in_force:
                line += "\n  " + texts.get(
                    "tariff_promotion_now", label=promotion.label(), price=money(offer.price_now)
                )
            else:
                line += "\n  " + texts.get("tariff_promotion", label=promotion.label())
        lines.append(line)
    text = texts.get("tariffs", tariffs="\n".join(lines))
    if intro:
        text = f"{texts.get(intro)}\n\n{text}"
    if promo:
        text += f"\n\n🏷 {promo}"
    rows = [
        [
            (
                texts.get("btn_buy", name=offer.tariff.name, price=money(offer.price_now)),
                cb.buy(offer.tariff.pk),
            )
        ]
        for offer in offers
    ]
    rows.append([(texts.get("btn_promo"), cb.PROMO)])
    rows.append([(texts.get("btn_menu"), cb.Menu.MENU)])
    return text, tg.keyboard(rows)


def pay_markup(texts: Texts, url: str) -> dict:
    """The payment link as a URL button."""
    return tg.keyboard([[(texts.get("btn_pay"), url)]])


def checkin_markup(buttons: list[str]) -> dict | None:
    """The check-in's Skip / Cancel as buttons: progress.checkin names them, we give them data."""
    from progress import checkin

    data = {checkin.SKIP: cb.Checkin.SKIP, checkin.CANCEL: cb.Checkin.CANCEL}
    row = [(label, data[label]) for label in buttons if label in data]
    return tg.keyboard([row]) if row else None


def consent_message(
    texts: Texts, *, kind: str, text: str, url: str, then: cb.ConsentNext
) -> tuple[str, dict]:
    """A consent text (the published version from `privacy`) with its link, Agree / Decline."""
    markup = tg.keyboard(
        [
            [(texts.get("btn_consent_agree"), cb.consent(kind, cb.ConsentAnswer.AGREE, then))],
            [(texts.get("btn_consent_decline"), cb.consent(kind, cb.ConsentAnswer.DECLINE, then))],
        ]
    )
    return f"{text}\n\n{texts.get('consent_link', url=url)}", markup


def consent_declined_markup(texts: Texts, *, kind: str, then: cb.ConsentNext) -> dict:
    """What the bot still does without the consent, and the way back to it."""
    return tg.keyboard(
        [
            [(texts.get("btn_consent_later"), cb.consent(kind, cb.ConsentAnswer.ASK, then))],
            [(texts.get("btn_faq"), cb.Menu.FAQ), (texts.get("btn_contacts"), cb.Menu.CONTACTS)],
            [(texts.get("btn_menu"), cb.Menu.MENU)],
        ]
    )


def consents_markup(texts: Texts, *, kind: str, given: bool) -> dict:
    """Under /consent: withdraw the health consent (`kind`), or give it; back to the menu."""
    menu = cb.ConsentNext.MENU
    if given:
        button = (
            texts.get("btn_health_withdraw"),
            cb.consent(kind, cb.ConsentAnswer.WITHDRAW, menu),
        )
    else:
        button = (texts.get("btn_consent_later"), cb.consent(kind, cb.ConsentAnswer.ASK, menu))
    return tg.keyboard([[button], [(texts.get("btn_menu"), cb.Menu.MENU)]])


def health_withdraw_markup(texts: Texts, *, kind: str) -> dict:
    confirm = cb.consent(kind, cb.ConsentAnswer.WITHDRAW_CONFIRMED, cb.ConsentNext.MENU)
    return tg.keyboard(
        [
            [(texts.get("btn_health_withdraw_confirm"), confirm)],
            [(texts.get("btn_forget_keep"), cb.Menu.MENU)],
        ]
    )


def forget_markup(texts: Texts) -> dict:
    return tg.keyboard(
        [
            [(texts.get("btn_forget_confirm"), cb.Forget.CONFIRM)],
            [(texts.get("btn_forget_keep"), cb.Forget.KEEP)],
        ]
    )
