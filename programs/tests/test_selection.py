import itertools

import pytest

from crm.models import Client
from programs.library import DAYS_BY_LEVEL, GOALS, LEVELS, SETUPS, TABS, program_code
from programs.models import ProgramTemplate
from programs.selection import LEVELS as LEVEL_ORDER
from programs.selection import Answers, program_content, select_template

pytestmark = pytest.mark.django_db

BUNDLED = [
    (gender, level, goal, location, equipment, days)
    for gender in TABS.values()
    for level in LEVELS
    for goal in GOALS
    for location, equipment in SETUPS
    for days in DAYS_BY_LEVEL[level]
]


def test_bundled_library_covers_every_combination(library):
    assert library.template_count == len(BUNDLED) == 192
    codes = set(ProgramTemplate.objects.filter(version=library).values_list("code", flat=True))
    assert codes == {program_code(g, lv, go, eq, d) for g, lv, go, _, eq, d in BUNDLED}
    template = ProgramTemplate.objects.get(version=library, code="W-B-WL-BW-3")
    assert template.weeks == 12
    week1, week9 = template.content["weeks"][0], template.content["weeks"][8]
    assert [d["number"] for d in week1["days"]] == [1, 2, 3]
    names = [e["name"] for d in week1["days"] for e in d["exercises"]]
    assert "Приседания с собственным весом" in names
    # Progression: the third phase asks more than the first.
    squat1 = week1["days"][0]["exercises"][0]
    squat9 = week9["days"][0]["exercises"][0]
    assert (squat9["sets"], squat9["name"]) != (squat1["sets"], squat1["name"])


def test_every_bundled_combination_is_selected_exactly(library):
    for gender, level, goal, location, equipment, days in BUNDLED:
        answers = Answers(
            gender=gender,
            experience=level,
            goal=goal,
            location=location,
            equipment="" if equipment == "full_gym" else equipment,
            days_per_week=days,
        )
        selection = select_template(answers, version=library)
        assert selection.exact, (answers, selection.reasons)
        assert selection.template.code == program_code(gender, level, goal, equipment, days)


def test_every_questionnaire_answer_gets_a_sensible_template(
    library, django_assert_max_num_queries
):
    """All answers a client can give (and leave blank) get a program they can actually do."""
    genders = ["", *Client.Gender.values]
    levels = ["", *Client.Experience.values]
    goals = ["", *Client.Goal.values]
    locations = ["", *Client.Location.values]
    equipment = ["", *Client.Equipment.values]
    days = [None, 1, 2, 3, 4, 5, 6, 7]
    allowed = {
        "full_gym": {"full_gym", "dumbbells", "bands", "none"},
        "dumbbells": {"dumbbells", "none"},
        "bands": {"bands", "none"},
        "none": {"none"},
    }
    checked = 0
    for combo in itertools.product(genders, levels, goals, locations, equipment, days):
        if checked % 37:  # a spread sample of the 4 860 combinations keeps the test quick
            checked += 1
            continue
        checked += 1
        answers = Answers(*combo)
        with django_assert_max_num_queries(3):
            selection = select_template(answers, version=library)
        template = selection.template
        assert template is not None and selection.reasons
        if answers.gender:
            assert template.gender == answers.gender
        wanted_level = LEVEL_ORDER.index(answers.experience) if answers.experience else 0
        assert LEVEL_ORDER.index(template.level) <= wanted_level  # never harder than asked
        assert template.equipment in allowed[answers.equipment_kind]
        if answers.goal:
            assert template.goal == answers.goal  # the library has every goal everywhere


def test_fallback_is_recorded_with_reasons(library):
    selection = select_template(
        Answers(
            gender="female",
            experience="beginner",
            goal="strength",
            location="outdoors",
            equipment="bands",
            days_per_week=6,
        )
    )
    assert selection.template.code == "W-B-ST-RB-3"
    assert not selection.exact
    assert any("3" in reason for reason in selection.reasons)

    blank = select_template(Answers())
    assert blank.template.level == "beginner"
    assert blank.template.equipment == "none"
    assert blank.template.days_per_week == 3
    assert len(blank.reasons) >= 4


def test_free_program_is_the_first_weeks(library):
    template = ProgramTemplate.objects.get(version=library, code="M-A-MG-GYM-4")
    free = program_content(template.content, weeks=1)
    paid = program_content(template.content, weeks=None)
    assert [w["number"] for w in free["weeks"]] == [1]
    assert [w["number"] for w in paid["weeks"]] == list(range(1, 13))
    free["weeks"][0]["days"][0]["exercises"][0]["sets"] = 99
    assert template.content["weeks"][0]["days"][0]["exercises"][0]["sets"] != 99
