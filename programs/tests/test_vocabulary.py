"""One vocabulary: the client's answers, the library, the sheet parser and selection use the same
values, so a new goal or kind of equipment added in crm.vocabulary cannot be half-supported."""

from crm.models import Client
from crm.vocabulary import LIBRARY_LOCATIONS, Equipment, Gender, Goal, Level, Location
from programs import library, selection, sheets
from programs.models import ProgramTemplate


def test_client_and_template_fields_share_the_definitions():
    assert Client.Gender is ProgramTemplate.Gender is Gender
    assert Client.Equipment is ProgramTemplate.Equipment is Equipment
    assert Client.Experience is Level and Client.Goal is Goal and Client.Location is Location
    template_fields = {f.name: f for f in ProgramTemplate._meta.fields}
    assert template_fields["level"].choices == Level.choices
    assert template_fields["goal"].choices == Goal.choices
    assert template_fields["location"].choices == LIBRARY_LOCATIONS


def test_the_sheet_parser_reads_every_value_of_the_vocabulary():
    assert set(sheets.VALUE_CODES["gender"].values()) == set(Gender.values)
    assert set(sheets.VALUE_CODES["level"].values()) == set(Level.values)
    assert set(sheets.VALUE_CODES["goal"].values()) == set(Goal.values)
    assert set(sheets.VALUE_CODES["equipment"].values()) == set(Equipment.values)
    assert set(sheets.VALUE_CODES["location"].values()) == {v for v, _ in LIBRARY_LOCATIONS}
    # Codes are plain strings, so what a sheet loads compares and serialises as text.
    assert all(type(v) is str for table in sheets.VALUE_CODES.values() for v in table.values())


def test_the_library_and_selection_cover_every_answer():
    assert set(library.GOALS) == set(Goal.values) == set(selection.GOAL_FALLBACK)
    assert set(library.LEVELS) == set(Level.values) == set(library.DAYS_BY_LEVEL)
    assert set(selection.EQUIPMENT_FALLBACK) == set(Equipment.values)
    assert {equipment for _, equipment in library.SETUPS} == set(Equipment.values)
    assert set(library.SPLITS) == set(Gender.values)
    for answer in Location.values:  # outdoors trains as at home
        kind = selection.Answers(location=answer).equipment_kind
        assert kind in Equipment.values
