import pytest
from django.db import connection

from registry import services


@pytest.fixture
def actor():
    return services.Actor.system("tests")


@pytest.fixture
def on_postgres():
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (run with DATABASE_URL=postgres://...)")
