"""Choosing a template for a client's questionnaire answers.

Fallback order when nothing matches exactly (each step only when the previous ones leave no choice):
1. days per week — the nearest number of days (on a tie, fewer days);
2. equipment — only programs needing equipment the client has: a gym client may get a dumbbell,
   band or bodyweight program; dumbbells or bands fall back to bodyweight; "no equipment" gets
   bodyweight only;
3. goal — the closest goal: weight loss → toning → muscle gain → strength; muscle gain → strength →
   toning; toning → weight loss → muscle gain; strength → muscle gain → toning;
4. level — an easier level, never a harder one (advanced → intermediate → beginner);
5. gender — the other tab.
Missing answers count as: beginner, toning, 3 days, no equipment at home; no gender prefers neither.
Every choice is recorded with its reasons (TrainingProgram.selection).
"""

from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from crm.models import Client
from crm.vocabulary import Equipment, Goal, Level, Location

from .models import ProgramTemplate, TemplateVersion

LEVELS = Level.values  # easiest first
GOAL_FALLBACK = {
    Goal.WEIGHT_LOSS: [Goal.WEIGHT_LOSS, Goal.TONING, Goal.MUSCLE_GAIN, Goal.STRENGTH],
    Goal.MUSCLE_GAIN: [Goal.MUSCLE_GAIN, Goal.STRENGTH, Goal.TONING, Goal.WEIGHT_LOSS],
    Goal.TONING: [Goal.TONING, Goal.WEIGHT_LOSS, Goal.MUSCLE_GAIN, Goal.STRENGTH],
    Goal.STRENGTH: [Goal.STRENGTH, Goal.MUSCLE_GAIN, Goal.TONING, Goal.WEIGHT_LOSS],
}
EQUIPMENT_FALLBACK = {
    Equipment.FULL_GYM: [Equipment.FULL_GYM, Equipment.DUMBBELLS, Equipment.BANDS, Equipment.NONE],
    Equipment.DUMBBELLS: [Equipment.DUMBBELLS, Equipment.NONE],
    Equipment.BANDS: [Equipment.BANDS, Equipment.NONE],
    Equipment.NONE: [Equipment.NONE],
}
DEFAULT_DAYS = 3
FAR = 100


@dataclass(frozen=True)
class Answers:
    gender: str = ""
    experience: str = ""
    goal: str = ""
    location: str = ""
    equipment: str = ""
    days_per_week: int | None = None

    @classmethod
    def from_client(cls, client: Client) -> "Answers":
        return cls(
            gender=client.gender,
            experience=client.experience,
            goal=client.goal,
            location=client.location,
            equipment=client.equipment,
            days_per_week=client.training_days_per_week,
        )

    def as_dict(self) -> dict:
        return {
            "gender": self.gender,
            "experience": self.experience,
            "goal": self.goal,
            "location": self.location,
            "equipment": self.equipment,
            "days_per_week": self.days_per_week,
        }

    @property
    def equipment_kind(self) -> str:
        if self.location == Location.GYM or self.equipment == Equipment.FULL_GYM:
            return Equipment.FULL_GYM
        return self.equipment if self.equipment in EQUIPMENT_FALLBACK else Equipment.NONE


@dataclass
class Selection:
    template: ProgramTemplate | None
    exact: bool = False
    reasons: list[str] = field(default_factory=list)

    def as_dict(self, answers: Answers) -> dict:
        template = self.template
        return {
            "template": template.code if template else "",
            "version": template.version.number if template else None,
            "answers": answers.as_dict(),
            "exact": self.exact,
            "reasons": self.reasons,
        }


def _penalties(template: ProgramTemplate, answers: Answers) -> tuple[int, int, int, int, int, str]:
    gender = 0 if not answers.gender or template.gender == answers.gender else 1
    wanted_level = LEVELS.index(answers.experience) if answers.experience in LEVELS else 0
    have = LEVELS.index(template.level)
    level = wanted_level - have if have <= wanted_level else FAR + have - wanted_level
    goals = GOAL_FALLBACK.get(answers.goal or Goal.TONING, GOAL_FALLBACK[Goal.TONING])
    goal = goals.index(template.goal) if template.goal in goals else FAR
    setups = EQUIPMENT_FALLBACK[answers.equipment_kind]
    equipment = setups.index(template.equipment) if template.equipment in setups else FAR
    wanted_days = answers.days_per_week or DEFAULT_DAYS
    diff = template.days_per_week - wanted_days
    days = abs(diff) * 2 + (1 if diff > 0 else 0)
    return gender, level, goal, equipment, days, template.code


def select_template(answers: Answers, *, version: TemplateVersion | None = None) -> Selection:
    """The best template of the active library version for these answers, with the reasons.

    Two queries: the candidates' attributes, then the chosen template's content. `template` is None
    only when the library is empty.
    """
    if version is None:
        version = TemplateVersion.objects.filter(is_active=True).first()
    if version is None:
        return Selection(None, reasons=[_("The template library is empty.")])
    candidates = list(
        ProgramTemplate.objects.filter(version=version).only(
            "id", "code", "gender", "level", "goal", "location", "equipment", "days_per_week"
        )
    )
    selection = choose(candidates, answers)
    if selection.template is not None:
        selection.template = ProgramTemplate.objects.select_related("version").get(
            pk=selection.template.pk
        )
    return selection


def choose(candidates: list[ProgramTemplate], answers: Answers) -> Selection:
    """The best of `candidates` for the answers, following the fallback order; no queries."""
    if not candidates:
        return Selection(None, reasons=[_("The template library is empty.")])
    best = min(candidates, key=lambda t: _penalties(t, answers))
    gender, level, goal, equipment, days, _code = _penalties(best, answers)
    reasons = []
    if not answers.gender:
        reasons.append(_("Gender not given: any program fits."))
    elif gender:
        reasons.append(_("No program for this gender with these answers; the other one is used."))
    if not answers.experience:
        reasons.append(_("Experience not given: counted as a beginner."))
    if level:
        reasons.append(
            _("No %(wanted)s program; an easier level (%(level)s) is used.")
            % {"wanted": Level(answers.experience).label, "level": best.get_level_display()}
        )
    if not answers.goal:
        reasons.append(_("Goal not given: counted as toning."))
    if goal:
        reasons.append(
            _("No program for this goal; the closest goal (%(goal)s) is used.")
            % {"goal": best.get_goal_display()}
        )
    if not answers.equipment and answers.location != Location.GYM:
        reasons.append(_("Equipment not given: a program without equipment is used."))
    if equipment:
        reasons.append(
            _("No program for this equipment; %(equipment)s is used.")
            % {"equipment": best.get_equipment_display()}
        )
    if not answers.days_per_week:
        reasons.append(_("Days per week not given: counted as %(days)s.") % {"days": DEFAULT_DAYS})
    if days:
        reasons.append(
            _("No program for %(wanted)s days a week; the nearest (%(days)s) is used.")
            % {"wanted": answers.days_per_week or DEFAULT_DAYS, "days": best.days_per_week}
        )
    exact = not (gender or level or goal or equipment or days)
    if exact:
        reasons.insert(0, _("Exact match for the answers."))
    return Selection(best, exact=exact, reasons=reasons)


def program_content(template_content: dict, *, weeks: int | None) -> dict:
    """A copy of the template's content with only the first `weeks` weeks (all when None)."""
    chosen = template_content.get("weeks", [])
    if weeks is not None:
        chosen = chosen[:weeks]
    return {
        "weeks": [
            {
                "number": week["number"],
                "days": [
                    {
                        "number": day["number"],
                        "title": day.get("title", ""),
                        "exercises": [dict(exercise) for exercise in day.get("exercises", [])],
                    }
                    for day in week.get("days", [])
                ],
            }
            for week in chosen
        ]
    }
