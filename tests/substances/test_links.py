"""substances.links.page_of: the address `reverse` gives, in every language and under any
script prefix, reversed once."""

import pytest
from django.urls import clear_script_prefix, reverse, set_script_prefix
from django.utils import translation

from substances.links import page_of

VIEWS = ["web:substance", "web:schedule", "web:instrument", "web:class"]


@pytest.mark.parametrize("view", VIEWS)
@pytest.mark.parametrize("language", ["en", "zh-hans"])
@pytest.mark.parametrize("prefix", ["/", "/registry/"])
def test_the_address_is_the_one_reverse_gives(view, language, prefix):
    set_script_prefix(prefix)
    try:
        with translation.override(language):
            for uid in ["fentanyl", "cn-nonmedical-2025", "l-0-uid-placeholder-0", "a"]:
                assert page_of(view, uid) == reverse(view, kwargs={"uid": uid})
    finally:
        clear_script_prefix()


def test_the_language_and_prefix_are_not_carried_over():
    with translation.override("zh-hans"):
        chinese = page_of("web:substance", "fentanyl")
    english = page_of("web:substance", "fentanyl")
    assert chinese == "/zh-hans/substances/fentanyl/" and english == "/substances/fentanyl/"


def test_a_uid_a_url_would_change_is_reversed_as_usual():
    odd = "Fentanyl_Citrate"
    assert page_of("web:substance", odd) == reverse("web:substance", kwargs={"uid": odd})
