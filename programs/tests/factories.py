import factory
from django.utils import timezone

from crm.tests.factories import ClientFactory
from programs.models import TrainingProgram


def small_content(weeks: int = 1) -> dict:
    return {
        "weeks": [
            {
                "number": week,
                "days": [
                    {
                        "number": 1,
                        "title": "Всё тело A",
                        "exercises": [
                            {
                                "id": f"w{week}d1e1",
                                "name": "Приседания со штангой на спине",
                                "sets": 3,
                                "reps": "8-10",
                                "rest": "2 мин",
                                "notes": "Спина нейтральная",
                            },
                            {
                                "id": f"w{week}d1e2",
                                "name": "Жим штанги лёжа",
                                "sets": 3,
                                "reps": "8-10",
                                "rest": "2 мин",
                                "notes": "",
                            },
                        ],
                    }
                ],
            }
            for week in range(1, weeks + 1)
        ]
    }


class TrainingProgramFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TrainingProgram

    client = factory.SubFactory(
        ClientFactory, gender="male", goal="strength", experience="intermediate", location="gym"
    )
    kind = TrainingProgram.Kind.FREE
    trigger = factory.Sequence(lambda n: f"test:{n}")
    title = "Мужская программа: сила, средний уровень, тренажёрный зал, 4 трен. в неделю"
    weeks = 1
    content = factory.LazyFunction(small_content)
    formatting = factory.LazyFunction(
        lambda: {
            "intro": "Привет! Это ваша программа.",
            "tips": ["Пейте воду."],
            "by": "deterministic",
        }
    )
    formatted_by = TrainingProgram.FormattedBy.DETERMINISTIC
    is_paid = factory.LazyAttribute(lambda p: p.kind == TrainingProgram.Kind.PAID)
    assigned_at = factory.LazyFunction(timezone.now)
