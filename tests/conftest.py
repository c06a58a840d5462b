import pytest
from django.conf import settings
from django.db import connection
from django.utils import translation

from registry import services


@pytest.fixture(autouse=True)
def _default_language():
    # A request for a Chinese page leaves Chinese active in the thread after the response (the
    # locale middleware activates, nothing deactivates): without this, a test's core call that
    # translates (a check's reason) would depend on which test ran before it.
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture
def actor():
    return services.Actor.system("tests")


@pytest.fixture
def on_postgres():
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (run with DATABASE_URL=postgres://...)")
