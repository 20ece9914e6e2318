"""The questionnaire: one question at a time, a summary to confirm or change, then crm's
`questionnaire_complete` does the rest (client fields, lead, stage, free program)."""

from crm.notifications import staff_notify
from crm.services import questionnaire_complete
from marketing.attribution import funnel_questionnaire_completed, funnel_questionnaire_started

from .. import callbacks as cb
from .. import questionnaire as q
from .. import replies
from ..context import Ctx
from ..models import BotChat

State = BotChat.State


def start(ctx: Ctx) -> None:
    chat = ctx.chat
    chat.state, chat.step, chat.answers, chat.editing = State.QUESTIONNAIRE, q.FIRST, {}, False
    chat.save()
    funnel_questionnaire_started(client=ctx.client)  # for the average time per source and post
    ctx.say(ctx.texts.get("q_intro"))
    _ask(ctx)


def _ask(ctx: Ctx, prefix: str = "") -> None:
    question = q.BY_STEP[ctx.chat.step]
    ctx.say(replies.question_text(ctx.texts, question, prefix), replies.question_markup(question))


def _accept(ctx: Ctx, question: q.Question, value: str) -> None:
    chat = ctx.chat
    chat.answers = {**chat.answers, question.step: value}
    following = None if chat.editing else q.next_step(chat.answers)
    if following is None:
        chat.state, chat.step, chat.editing = State.SUMMARY, "", False
        chat.save()
        show_summary(ctx)
        return
    chat.step = following
    chat.save()
    _ask(ctx)


def on_answer_text(ctx: Ctx) -> None:
    question = q.BY_STEP.get(ctx.chat.step)
    if question is None:  # a step that no longer exists: start over
        start(ctx)
        return
    try:
        value = q.validate(question, ctx.text)
    except q.AnswerError as error:
        _ask(ctx, prefix=ctx.texts.get(error.key, **error.values))
        return
    _accept(ctx, question, value)


def on_answer_button(ctx: Ctx) -> None:
    step, value = cb.answer_parse(ctx.data)
    question = q.BY_STEP.get(step)
    if ctx.chat.state != State.QUESTIONNAIRE or ctx.chat.step != step or question is None:
        return  # a button of an earlier question: the current one is already on screen
    try:
        value = q.validate(question, value)
    except q.AnswerError:
        _ask(ctx)
        return
    ctx.edit(f"{replies.question_text(ctx.texts, question)}\n→ {q.display(question, value)}")
    _accept(ctx, question, value)


def show_summary(ctx: Ctx) -> None:
    answers = q.summary_lines(ctx.chat.answers)
    ctx.say(ctx.texts.get("summary", answers=answers), replies.summary_markup(ctx.texts))


def on_summary(ctx: Ctx) -> None:
    chat = ctx.chat
    if chat.state != State.SUMMARY:
        return  # pressed twice, or after /cancel
    if ctx.data == cb.Summary.CHANGE:
        ctx.say(ctx.texts.get("change_which"), replies.change_markup())
        return
    if ctx.data != cb.Summary.CONFIRM:
        return
    ctx.edit(ctx.texts.get("summary", answers=q.summary_lines(chat.answers)))
    complete(ctx)


def on_edit_answer(ctx: Ctx) -> None:
    step = cb.payload(ctx.data, cb.EDIT)
    chat = ctx.chat
    if chat.state != State.SUMMARY or step not in q.BY_STEP:
        return
    chat.state, chat.step, chat.editing = State.QUESTIONNAIRE, step, True
    chat.save()
    _ask(ctx)


def complete(ctx: Ctx) -> None:
    client, answers = ctx.client, dict(ctx.chat.answers)
    questionnaire_complete(client=client, values=q.client_values(answers))
    funnel_questionnaire_completed(client=client)
    ctx.reset()
    if not client.is_preview:
        staff_notify(
            text=ctx.texts.get(
                "staff_questionnaire", name=client.full_name, answers=q.summary_lines(answers)
            ),
            client=client,
        )
    ctx.say(ctx.texts.get("q_done"))
