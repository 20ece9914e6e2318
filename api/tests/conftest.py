import pytest

from api.services import token_create
from crm.models import User
from crm.tests.factories import AdminFactory, ClientFactory, TrainerFactory, UserFactory


@pytest.fixture
def bearer():
    """Headers for a new token of `user` (read_only token when asked)."""

    def make(user: User, *, read_only: bool = False) -> dict:
        _token, raw = token_create(user=user, name="test", read_only=read_only)
        return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}

    return make


@pytest.fixture
def trainer(db):
    return TrainerFactory(username="api-trainer")


@pytest.fixture
def other_trainer(db):
    return TrainerFactory(username="api-other")


@pytest.fixture
def admin_user(db):
    return AdminFactory(username="api-admin")


@pytest.fixture
def readonly_user(db):
    return UserFactory(username="api-readonly", role=User.Role.READ_ONLY)


@pytest.fixture
def my_client(trainer):
    return ClientFactory(trainer=trainer, first_name="Ирина", last_name="Мок")


@pytest.fixture
def foreign_client(other_trainer):
    return ClientFactory(trainer=other_trainer, first_name="Чужой", last_name="Клиент")
