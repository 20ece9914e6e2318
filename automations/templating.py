"""Message templates of the rules: `{variable}` placeholders from a fixed list, checked on save.

A template is checked when a trainer saves it (an unknown variable is a form error), so rendering at
send time cannot fail on a typo at 3 am.
"""

from string import Formatter

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

VARIABLES: dict[str, str] = {
    "name": gettext_lazy("client's first name"),
    "full_name": gettext_lazy("client's full name"),
    "trainer": gettext_lazy("trainer's name"),
    "week": gettext_lazy("current week of the program"),
    "weeks": gettext_lazy("weeks in the program"),
    "tariff": gettext_lazy("tariff last bought"),
    "pay_link": gettext_lazy("link to the unpaid payment"),
    "membership_end": gettext_lazy("date the membership ends"),
    "score": gettext_lazy("the NPS score given"),
    "comment": gettext_lazy("the NPS comment"),
}


def template_errors(text: str) -> list[str]:
    """What is wrong with a template; empty when it can be rendered with any client."""
    errors: list[str] = []
    try:
        fields = [field for _literal, field, spec, conv in Formatter().parse(text or "")]
        specs = [(spec, conv) for _literal, field, spec, conv in Formatter().parse(text or "")]
    except ValueError:
        return [_("Unbalanced braces: write {{ and }} for a literal brace.")]
    for field in fields:
        if field is None:
            continue
        if field not in VARIABLES:
            errors.append(
                _("Unknown variable {%(name)s}. Available: %(known)s.")
                % {"name": field, "known": ", ".join("{" + v + "}" for v in VARIABLES)}
            )
    if any(spec or conv for spec, conv in specs):
        errors.append(_("Formatting after a colon or “!” is not supported in variables."))
    return errors


def template_render(text: str, values: dict[str, object]) -> str:
    """The template with its variables filled; a missing value renders as an empty string."""
    context = {name: values.get(name, "") for name in VARIABLES}
    context = {k: ("" if v is None else v) for k, v in context.items()}
    return text.format_map(context).strip()
