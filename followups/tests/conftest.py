from botapp.tests.conftest import _fresh_rate_limits, fake_telegram  # noqa: F401
