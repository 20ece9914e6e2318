"""The training vocabulary, defined once: a client's questionnaire answers, the program library's
attributes, the sheet import, program selection and the bot's buttons all key off these values.

crm owns it because crm is the bottom layer (programs, botapp and the rest import crm, never the
other way round). The models re-export them as `Client.Goal`, `ProgramTemplate.Gender`, …"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Gender(models.TextChoices):
    MALE = "male", _("Male")
    FEMALE = "female", _("Female")


class Goal(models.TextChoices):
    WEIGHT_LOSS = "weight_loss", _("Weight loss")
    MUSCLE_GAIN = "muscle_gain", _("Muscle gain")
    TONING = "toning", _("Toning")
    STRENGTH = "strength", _("Strength")


class Level(models.TextChoices):
    """A client's training experience and a program's level: easiest first."""

    BEGINNER = "beginner", _("Beginner")
    INTERMEDIATE = "intermediate", _("Intermediate")
    ADVANCED = "advanced", _("Advanced")


class Location(models.TextChoices):
    GYM = "gym", _("Gym")
    HOME = "home", _("Home")
    OUTDOORS = "outdoors", _("Outdoors")


class Equipment(models.TextChoices):
    NONE = "none", _("No equipment")
    DUMBBELLS = "dumbbells", _("Dumbbells")
    BANDS = "bands", _("Resistance bands")
    FULL_GYM = "full_gym", _("Full gym")


# The library writes programs for the gym and for home; outdoors trains as at home.
LIBRARY_LOCATIONS = [(place.value, place.label) for place in (Location.GYM, Location.HOME)]
