from botapp.tests.conftest import (  # noqa: F401  (fixtures shared with the bot's tests)
    _fresh_rate_limits,
    fake_telegram,
    post_update,
    yookassa,
)
