"""One question, every jurisdiction: a check's verdict told apart per jurisdiction, and a
substance's status side by side.

A compound is rarely asked about for one country: a supplier ships abroad, a customs officer
checks what the sender's country controls. The check without a jurisdiction weighs the lists
of all of them at once; these functions split what it found by the jurisdiction whose list
(or class) it is, so that every face (API, site, CLI) says, for each jurisdiction the registry
holds, whether the compound is controlled there on the date asked, on which lists, and since
when.
"""

import datetime
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from registry.models import Jurisdiction, Listing
from registry.verdicts import ClassBasis, described, handed_over, is_conditional, to_json

CONTROLLED = "controlled"
NOT_CONTROLLED = "not_controlled"
# only bases in doubt: an act's date imprecise around the date asked, a class definition's
# condition a structure cannot show, a preparation whose ingredient is controlled
UNCERTAIN = "uncertain"
# Verdicts that do not depend on the jurisdiction: the input could not be read or resolved.
SHARED = ("unknown", "invalid")


@dataclass(frozen=True)
class JurisdictionVerdict:
    """A verdict in one jurisdiction.

    `schedules` are the codes of the lists (and `classes` the uids of the whole classes) that
    the compound falls under there; `since` is the earliest start among those listings in force
    (the date the present bases began, not necessarily the first control ever).
    """

    jurisdiction: str = described("The jurisdiction's code.")
    name: str = described("Its name.")
    status: str = described(
        "The verdict there.",
        enum=(CONTROLLED, NOT_CONTROLLED, UNCERTAIN, *SHARED),
    )
    schedules: tuple[str, ...] = described(
        "The codes of the lists it falls under there (for `uncertain`: those in doubt).",
        default=(),
    )
    classes: tuple[str, ...] = described(
        "The uids of the whole classes it falls under there.", default=()
    )
    since: str | None = described(
        "The first day (YYYY-MM-DD) of the unbroken control there that includes the date "
        "asked about (null unless controlled).",
        default=None,
    )
    uncertain_because: tuple[str, ...] = described(
        "For `uncertain`, why: `date` (an act whose day of entry into force is not known "
        "precisely), `condition` (a class whose definition also requires what a structure "
        "cannot show, such as receptor activity), `preparation` (a preparation whose ingredient "
        "is controlled there, which the law may or may not reach), `identity` (an InChIKey no "
        "record has, which may name an excepted stereoisomer), `form` (whether the entry's "
        "words reach it: a glycoside or other acetal of a listed compound, an ether of it only in "
        "a reading not settled; a possible positional isomer of a compound whose entry covers "
        "them), `members` (an entry for a group that the lists there do not name, some of "
        "whose recorded members they control or may: which member is meant decides). Empty "
        "otherwise.",
        default=(),
    )

    reason: str = described(
        "For `not_controlled`, why a listing there that bears on the input does not answer for "
        "it (one that reaches it through something it contains, a form of it or a group it "
        "belongs to but does not cover it; an ingredient's entry that covers only "
        "single-ingredient preparations); for `uncertain`, why it is open there; for "
        "`unknown` where the check could not finish judging the input, why; empty otherwise.",
        default="",
    )

    def as_dict(self) -> dict[str, Any]:
        return to_json(self)


def jurisdictions() -> list[Jurisdiction]:
    """Every jurisdiction the registry holds lists of, in a stable order (by code)."""
    return list(Jurisdiction.objects.order_by("code"))


def verdicts_of(result: Any, among: Sequence[Jurisdiction]) -> list[JurisdictionVerdict]:
    """A check result's verdict in each jurisdiction of `among` (see `verdicts`)."""
    return verdicts(
        result.status,
        result.matches,
        among,
        result.since,
        result.unrecorded,
        result.preparation_open,
        result.reasons,
        result.unjudged,
        result.members_open,
    )


def verdicts(
    status: str,
    matches: Iterable[dict[str, Any]],
    among: Sequence[Jurisdiction],
    since: dict[str, str] | None = None,
    unrecorded: Sequence[str] = (),
    preparation_open: Sequence[str] = (),
    reasons: Mapping[str, str] | None = None,
    unjudged: Sequence[str] = (),
    members_open: Mapping[str, Sequence[str]] | None = None,
) -> list[JurisdictionVerdict]:
    """Split one check result (its overall status and its typed bases) by jurisdiction.

    `since` is the check's own answer per jurisdiction (the first day of the unbroken control,
    across reschedulings and class controls); without it, the earliest current listing's start.
    `unrecorded`: the codes of the jurisdictions whose lists the registry does not hold on the
    date asked and in which nothing it holds answers (the check's own `unrecorded`): `unknown`
    there, whatever the others say.
    `preparation_open`: the codes where the input is a preparation not recorded as controlled
    there whose ingredient is (the check's own): `uncertain` there.
    `reasons`: per code, why it is not controlled there though a listing there bears on it, or
    why its answer there is open (the check's own): the reason of a `not_controlled` or of an
    `uncertain` there.
    `unjudged`: the codes where the check could not finish judging the input and no basis
    answers (the check's own): `unknown` there, with its reason.
    `members_open`: per code where the input is an entry for a group that nothing answers for
    there, but some of whose members are controlled there, or may be, their lists (the check's
    own): `uncertain` there, on those lists.
    """
    by_code: dict[str, list] = {j.code: [] for j in among}
    for match in matches:
        by_code.setdefault(match.listed.schedule.jurisdiction, []).append(match)
    out = []
    for j in among:
        found = by_code[j.code]
        if j.code in unrecorded and not found:
            out.append(JurisdictionVerdict(j.code, j.name, "unknown"))
            continue
        if status in SHARED and not unrecorded:
            why = (reasons or {}).get(j.code, "") if j.code in unjudged else ""
            out.append(JurisdictionVerdict(j.code, j.name, status, reason=why))
            continue
        if j.code in unjudged and not found:
            why = (reasons or {}).get(j.code, "")
            out.append(JurisdictionVerdict(j.code, j.name, "unknown", reason=why))
            continue
        if not found:
            if j.code in preparation_open:
                out.append(
                    JurisdictionVerdict(
                        j.code,
                        j.name,
                        UNCERTAIN,
                        uncertain_because=("preparation",),
                        reason=(reasons or {}).get(j.code, ""),
                    )
                )
            elif j.code in (members_open or {}):
                out.append(
                    JurisdictionVerdict(
                        j.code,
                        j.name,
                        UNCERTAIN,
                        tuple((members_open or {})[j.code]),
                        uncertain_because=("members",),
                        reason=(reasons or {}).get(j.code, ""),
                    )
                )
            else:
                why = (reasons or {}).get(j.code, "")
                out.append(JurisdictionVerdict(j.code, j.name, NOT_CONTROLLED, reason=why))
            continue
        certain = [m for m in found if not m.date_uncertain and not is_conditional(m)]
        if not certain and handed_over(found):
            # moved between lists on a day not known precisely: controlled, on one of them
            schedules = tuple(dict.fromkeys(m.listed.schedule.code for m in found))
            classes = tuple(
                dict.fromkeys(m.substance_class.uid for m in found if isinstance(m, ClassBasis))
            )
            start = (since or {}).get(j.code)
            out.append(JurisdictionVerdict(j.code, j.name, CONTROLLED, schedules, classes, start))
            continue
        if not certain:
            schedules = tuple(dict.fromkeys(m.listed.schedule.code for m in found))
            because = tuple(
                why
                for why, present in (
                    ("date", any(m.date_uncertain for m in found)),
                    ("condition", any(_condition(m) for m in found)),
                    ("identity", any(_identity(m) for m in found)),
                    ("form", any(_form(m) for m in found)),
                )
                if present
            )
            out.append(
                JurisdictionVerdict(
                    j.code,
                    j.name,
                    UNCERTAIN,
                    schedules,
                    uncertain_because=because,
                    reason=(reasons or {}).get(j.code, ""),
                )
            )
            continue
        # One entry or another (`entry_uncertain`): where the other is an entry whose day is in
        # doubt (the 1961 Convention's Schedule III, listed by 2013), its list is among those it
        # may fall under too.
        either = any(getattr(m, "entry_uncertain", "") for m in certain)
        found = certain
        schedules = tuple(
            dict.fromkeys(
                m.listed.schedule.code
                for m in (
                    certain + [m for m in by_code[j.code] if m.date_uncertain]
                    if either
                    else certain
                )
            )
        )
        classes = tuple(
            dict.fromkeys(m.substance_class.uid for m in found if isinstance(m, ClassBasis))
        )
        start = (since or {}).get(j.code) or min(m.listed.effective_from for m in found).isoformat()
        out.append(JurisdictionVerdict(j.code, j.name, CONTROLLED, schedules, classes, start))
    return out


def _condition(basis: Any) -> str:
    """What a class basis's definition also requires that a structure cannot show ("" for
    any other basis, and for a class whose rules are its whole definition)."""
    return basis.condition if isinstance(basis, ClassBasis) else ""


def _identity(basis: Any) -> str:
    """Why the compound an InChIKey names is in doubt ("" for any other basis)."""
    return getattr(basis, "identity_uncertain", "")


def _form(basis: Any) -> str:
    """Why what the input is of the listed record is in doubt (a glycoside: "" otherwise)."""
    return getattr(basis, "form_uncertain", "")


@dataclass(frozen=True)
class JurisdictionStatus:
    """A substance's named listings in one jurisdiction: those in force on a date, and all."""

    jurisdiction: Jurisdiction
    in_force: tuple[Listing, ...]
    history: tuple[Listing, ...]

    @property
    def controlled(self) -> bool:
        return bool(self.in_force)


def side_by_side(
    listings: Iterable[Listing], on: datetime.date, among: Sequence[Jurisdiction]
) -> list[JurisdictionStatus]:
    """A substance's listings (with `schedule__jurisdiction` loaded) per jurisdiction."""
    history: dict[int, list[Listing]] = {j.pk: [] for j in among}
    for listing in listings:
        history.setdefault(listing.schedule.jurisdiction_id, []).append(listing)
    return [
        JurisdictionStatus(
            jurisdiction=j,
            in_force=tuple(
                li
                for li in history[j.pk]
                if li.effective_from <= on and (li.effective_to is None or li.effective_to > on)
            ),
            history=tuple(history[j.pk]),
        )
        for j in among
    ]
