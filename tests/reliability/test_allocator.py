"""The WSGI entry point fixes glibc's malloc thresholds, unless the environment sets them."""

import platform

import pytest

from config import allocator


@pytest.mark.skipif(
    platform.system() != "Linux" or platform.libc_ver()[0] != "glibc", reason="glibc only"
)
def test_thresholds_are_fixed_on_glibc(monkeypatch):
    monkeypatch.delenv("MALLOC_MMAP_THRESHOLD_", raising=False)
    monkeypatch.delenv("MALLOC_TRIM_THRESHOLD_", raising=False)
    assert allocator.fix_malloc_thresholds() is True


@pytest.mark.parametrize("variable", ["MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_"])
def test_the_environment_has_the_last_word(monkeypatch, variable):
    monkeypatch.setenv(variable, "65536")
    assert allocator.fix_malloc_thresholds() is False


def test_the_wsgi_application_loads_with_it():
    from config import wsgi

    assert callable(wsgi.application)
