"""Validators for chemical identifiers that need no chemistry toolkit, uids and days."""

import datetime
import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

# ASCII digits only: a CAS RN is stored in one canonical form (see normalize.canonical_cas).
CAS_RE = re.compile(r"^([1-9][0-9]{1,6})-([0-9]{2})-([0-9])$")


def cas_check_digit(cas: str) -> int:
    """The check digit a CAS Registry Number must end with.

    CAS defines it as the sum of each digit (excluding the check digit) times its position
    counted from the right, modulo 10.
    """
    digits = cas.replace("-", "")[:-1]
    return sum(int(d) * i for i, d in enumerate(reversed(digits), start=1)) % 10


def validate_cas(value: str) -> None:
    """Refuse a CAS RN that is malformed or whose check digit is wrong, saying which."""
    if not value:
        return
    match = CAS_RE.fullmatch(value)
    if not match:
        raise ValidationError(
            "%(value)s is not a CAS Registry Number: expected the form 50-00-0 "
            "(2 to 7 digits without a leading zero, 2 digits, 1 check digit).",
            code="cas_format",
            params={"value": value},
        )
    expected = cas_check_digit(value)
    if int(match.group(3)) != expected:
        raise ValidationError(
            "%(value)s has a wrong check digit: it should end in %(expected)s.",
            code="cas_check_digit",
            params={"value": value, "expected": expected},
        )


UID_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,99}$")


def validate_uid(value: str) -> None:
    """A public uid: lowercase letters, digits and hyphens, starting with a letter or digit."""
    if not UID_RE.match(value or ""):
        raise ValidationError(
            "%(value)s is not a valid uid: use lowercase letters, digits and hyphens "
            "(at most 100 characters, not starting with a hyphen).",
            code="uid",
            params={"value": value},
        )


EARLIEST_DAY = datetime.date(1900, 1, 1)
LATEST_DAY = datetime.date(2999, 12, 31)
"""The days the registry speaks about: its lists, their acts and the days asked of them. A day
outside (0202-01-01 for 2022, a year of five digits) is a slip, refused wherever a day is
written or asked (models, API, site), with the same words."""


def validate_day_held(value: datetime.date | None) -> None:
    """Refuse a day outside `EARLIEST_DAY`..`LATEST_DAY`."""
    if value is not None and not EARLIEST_DAY <= value <= LATEST_DAY:
        raise ValidationError(
            _("Choose a date between %(start)s and %(end)s."),
            code="out_of_range",
            params={"start": EARLIEST_DAY.isoformat(), "end": LATEST_DAY.isoformat()},
        )


# Characters no name is written with: control characters, the marks that reorder text as it is
# shown (U+202E shows "lynatnef" as "fentanyl"), and those that show nothing (zero-width
# spaces and joiners, the soft hyphen, the byte-order mark). Stored, a name would look like
# another one and not be it.
HIDDEN_RE = re.compile(
    "[\x00-\x1f\x7f-\x9f\u00ad\u034f\u061c\u115f\u1160\u180e\u200b-\u200f"
    "\u2028-\u202e\u2060-\u2069\u3164\ufe00-\ufe0f\ufeff\uffa0\ufff9-\ufffb"
    "\U000e0000-\U000e007f]"
)


def refuse_hidden_characters(instance, fields) -> None:
    """Refuse a name holding a character of HIDDEN_RE, naming the field and the character."""
    errors = {}
    for field in fields:
        found = HIDDEN_RE.search(getattr(instance, field) or "")
        if found:
            errors[field] = _(
                "It holds the character U+%(code)04X, which no name is written with "
                "(a control, direction or invisible character): remove it."
            ) % {"code": ord(found.group())}
    if errors:
        raise ValidationError(errors)
