"""The public page of a record, by its uid: what the models' `get_absolute_url` give."""

from django.conf import settings
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils.translation import get_language

from substances.validators import UID_RE

PLACEHOLDER = "0-uid-placeholder-0"
"""A uid no record has, reversed in place of the real one (see `page_of`)."""

_templates: dict[tuple, str] = {}


def page_of(view_name: str, uid: str) -> str:
    """`reverse(view_name, kwargs={"uid": uid})`, reversed once per view, language, script
    prefix and URL configuration, then the uid put in place of a placeholder's.

    A page of search results links fifty substances and each of their lists, a list page
    hundreds of entries: reversing every link cost a search page about a tenth of its time.
    A uid (lowercase letters, digits, hyphens: `validate_uid`) is carried by a URL as it is,
    so the result is the one `reverse` gives; anything else is reversed as usual.
    """
    if not UID_RE.match(uid or ""):
        return reverse(view_name, kwargs={"uid": uid})
    key = (view_name, get_language(), get_script_prefix(), get_urlconf(), settings.ROOT_URLCONF)
    template = _templates.get(key)
    if template is None:
        template = _templates[key] = reverse(view_name, kwargs={"uid": PLACEHOLDER})
    return template.replace(PLACEHOLDER, uid, 1)
