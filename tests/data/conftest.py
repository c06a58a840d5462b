import pytest
from django.core.management import call_command
from django.db import transaction


@pytest.fixture(scope="module")
def real_registry(django_db_setup, django_db_blocker):
    """The real fixtures, loaded once per module inside a transaction rolled back at its end."""
    with django_db_blocker.unblock(), transaction.atomic():
        call_command("load_registry", verbosity=0)
        yield
        transaction.set_rollback(True)
