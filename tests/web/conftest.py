import pytest
from django.core.cache import cache

from tests.web.sample import build_sample, build_three_jurisdictions


@pytest.fixture(autouse=True)
def _fresh_cache():
    # The site caches under the change feed's position; a test database starts its feed anew.
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def sample(db):
    return build_sample()


@pytest.fixture
def three_jurisdictions(db):
    return build_three_jurisdictions()
