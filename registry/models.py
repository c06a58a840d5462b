"""How a thing is CONTROLLED: jurisdictions, schedules, instruments, listings, and the feed.

Two kinds of history live here and must not be confused: the legal history (`Listing` periods:
what was controlled on a given date) and the edit history (`Change`: what the registry said and
when, corrections included).
"""

import datetime
import json
import re
from collections.abc import Iterable
from typing import NamedTuple

from django.conf import settings
from django.contrib.postgres.fields import RangeOperators
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q, Value
from django.utils import timezone
from django.utils.translation import get_language, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from registry.constraints import DateRange, PostgresExclusionConstraint
from registry.querysets import ChangeQuerySet, ListingQuerySet
from substances.links import page_of
from substances.models import Substance, SubstanceClass
from substances.tracking import EditTracking
from substances.validators import validate_day_held, validate_uid


class Jurisdiction(EditTracking, models.Model):
    """A state or treaty body that keeps lists: China (CN), the United Nations (UN)."""

    uid = models.CharField(max_length=100, unique=True, validators=[validate_uid])
    code = models.CharField(max_length=8, unique=True)
    name = models.CharField(max_length=200)
    name_zh = models.CharField(max_length=200, blank=True)
    records_from = models.DateField(
        validators=[validate_day_held],
        null=True,
        blank=True,
        help_text=(
            "The first day from which the registry holds this jurisdiction's lists in full. "
            "Before it, a compound that no held listing or class reaches is `unknown` there, "
            "not `not_controlled`: the earlier law is not recorded. Empty: held from the start."
        ),
    )
    # A law that treats a substance close to a listed one as listed (the US Federal Analogue
    # Act): what the check says beside a verdict of not controlled for a structure close to a
    # substance on a list that is its basis (`Schedule.analogue_basis`). Whether a structure is
    # "substantially similar" the law leaves to a court; the check names the closest substance.
    analogue_law = models.TextField(
        blank=True,
        help_text=_(
            "A law that treats a substance close to a listed one as listed, in English: said "
            "beside a verdict of not controlled for a structure close to a substance on a list "
            "that is its basis. Empty where there is none."
        ),
    )
    analogue_law_zh = models.TextField(
        blank=True, help_text=_("The analogue law in Chinese, for the Chinese pages.")
    )
    analogue_law_from = models.DateField(
        validators=[validate_day_held],
        null=True,
        blank=True,
        help_text=_("The day the analogue law took effect."),
    )

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return self.code

    def records_reach(self, on: datetime.date) -> bool:
        """Whether the registry holds this jurisdiction's lists in full on `on`."""
        return self.records_from is None or on >= self.records_from


# What an entry can cover besides the substance itself, in the words of the lists' footnotes
# ("items include their possible salts, stereoisomers, esters and ethers, and single-ingredient
# preparations"). A hydrate is the substance itself with water of crystallisation and needs none.
# `preparations` are the single-ingredient ones (China's 单方制剂); `compound_preparations` those
# with other active ingredients, as the conventions put every preparation under the controls of
# the drug it contains (1961, article 2(3); 1971, article 3(1)).
# `materials`: a material (a plant, a natural product) that contains the substance, as the US
# schedules cover "any material, compound, mixture, or preparation which contains any quantity"
# of what they list; where a list says nothing of it, a material is not its ingredient.
#
# `stereoisomers` reaches every stereoisomer; `optical_isomers` the mirror image (and a racemate's
# enantiomers), `geometric_isomers` a compound that differs only about double bonds: the US
# schedules cover "the optical isomer" except where a paragraph says more (21 CFR 1300.01), and
# whether a diastereomer is an optical isomer the text does not settle (see `coverage_reach`).
COVERAGE = (
    "salts",
    "stereoisomers",
    "optical_isomers",
    "geometric_isomers",
    "positional_isomers",
    "esters",
    "ethers",
    "preparations",
    "compound_preparations",
    "materials",
)
# The same words as a reader of the language in use reads them (the check's explanations).
COVERAGE_LABELS = {
    "salts": pgettext_lazy("coverage", "salts"),
    "stereoisomers": pgettext_lazy("coverage", "stereoisomers"),
    "optical_isomers": pgettext_lazy("coverage", "optical isomers"),
    "geometric_isomers": pgettext_lazy("coverage", "geometric isomers"),
    "positional_isomers": pgettext_lazy("coverage", "positional isomers"),
    "esters": pgettext_lazy("coverage", "esters"),
    "ethers": pgettext_lazy("coverage", "ethers"),
    "preparations": pgettext_lazy("coverage", "single-ingredient preparations"),
    "compound_preparations": pgettext_lazy("coverage", "compound preparations"),
    "materials": pgettext_lazy("coverage", "materials containing it"),
}
# Which coverage reaches which form of a substance (Relation.Form); None: the substance itself.
COVERAGE_OF_FORM = {
    "salt": "salts",
    "stereoisomer": "stereoisomers",
    "ester": "esters",
    "ether": "ethers",
    "hydrate": None,
    # Another record for the compound itself (in bulk, under another name): an entry of its own
    # governs it.
    "entry": None,
}


def coverage_reach(covers: Iterable[str]) -> tuple[frozenset[str], frozenset[str]]:
    """What a coverage reaches, and what it reaches only in a reading the law leaves open.

    "stereoisomers" reaches the optical and the geometric isomers; the two together reach every
    stereoisomer. "optical_isomers" alone reaches a stereoisomer that is not the mirror image (a
    diastereomer, epitestosterone of testosterone) only if such a compound is an "optical
    isomer", which 21 CFR 1300.01 does not say: in doubt. A geometric isomer it does not reach.
    """
    words = set(covers)
    if "stereoisomers" in words:
        words |= {"optical_isomers", "geometric_isomers"}
    if {"optical_isomers", "geometric_isomers"} <= words:
        words.add("stereoisomers")
    open_ = (
        {"stereoisomers"} if "optical_isomers" in words and "stereoisomers" not in words else set()
    )
    return frozenset(words), frozenset(open_)


def coverage_problem(value) -> str:
    """Why a coverage value is not a list of known words, or "" when it is."""
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        return str(_("A list of words: %(words)s.") % {"words": ", ".join(COVERAGE)})
    unknown = [v for v in value if v not in COVERAGE]
    if unknown:
        # Each quoted with its invisible or look-alike characters escaped (" materials",
        # "m\u0430terials"), and no more than a few of them: the message names the problem, it
        # does not echo a list of thousands back.
        shown = ", ".join(json.dumps(v) for v in unknown[:5])
        if len(unknown) > 5:
            shown += f", … (+{len(unknown) - 5})"
        return str(
            _("Unknown coverage %(bad)s; known: %(words)s.")
            % {"bad": shown, "words": ", ".join(COVERAGE)}
        )
    if len(set(value)) != len(value):
        return str(_("A word is given twice."))
    return ""


class Regime(models.TextChoices):
    """What kind of control a list carries (`Schedule.Regime`)."""

    NARCOTIC = "narcotic", _("narcotic drugs")
    PSYCHOTROPIC = "psychotropic", _("psychotropic substances")
    NONMEDICAL = "nonmedical", _("non-medical narcotic and psychotropic substances")
    PRECURSOR = "precursor", _("precursor chemicals")
    # A list that mixes narcotic and other substances (the US Schedules I-V); whether an
    # entry is a narcotic is then an attribute of the listing.
    CONTROLLED = "controlled", _("controlled substances")


class Schedule(EditTracking, models.Model):
    """One list within a jurisdiction, such as China's Class I psychotropic substances.

    The regime says what kind of control the list carries: narcotic drugs, psychotropic
    substances, non-medical narcotic and psychotropic substances (new psychoactive substances)
    or precursor chemicals.
    """

    # Defined at module level so that Meta.constraints can name its values.
    Regime = Regime

    uid = models.CharField(max_length=100, unique=True, validators=[validate_uid])
    jurisdiction = models.ForeignKey(
        Jurisdiction, on_delete=models.PROTECT, related_name="schedules"
    )
    code = models.CharField(max_length=40)
    name = models.CharField(max_length=300)
    name_zh = models.CharField(max_length=300, blank=True)
    regime = models.CharField(max_length=16, choices=Regime.choices)
    sort_order = models.PositiveIntegerField(default=0)
    description = models.TextField(blank=True)
    description_zh = models.TextField(
        blank=True, help_text=_("The description in Chinese, for the Chinese pages.")
    )
    analogue_basis = models.BooleanField(
        default=False,
        help_text=_(
            "Whether the jurisdiction's analogue law measures substances against this list's "
            "(the US Federal Analogue Act: schedules I and II)."
        ),
    )
    coverage = models.JSONField(
        default=list,
        blank=True,
        help_text=_(
            "What every entry of the list covers besides the substance itself, from the list's "
            "footnotes: any of salts, stereoisomers (optical_isomers or geometric_isomers where "
            "the list says only those), positional_isomers, esters, ethers, "
            "preparations (single-ingredient preparations), compound_preparations (preparations "
            "with other active ingredients), materials (materials containing it). A listing may "
            "say otherwise."
        ),
    )

    class Meta:
        ordering = ["jurisdiction__code", "sort_order", "code"]
        constraints = [
            models.UniqueConstraint(
                fields=["jurisdiction", "code"],
                name="schedule_code_unique",
                violation_error_message=_("This jurisdiction already has a list with this code."),
            ),
            models.CheckConstraint(
                condition=Q(regime__in=Regime.values),
                name="schedule_regime_valid",
                violation_error_message=_("Unknown regime."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.jurisdiction_id and self.jurisdiction.code} {self.name}"

    def get_absolute_url(self) -> str:
        return page_of("web:schedule", self.uid)

    def clean(self) -> None:
        super().clean()
        problem = coverage_problem(self.coverage)
        if problem:
            raise ValidationError({"coverage": problem})


# A reference that is an English description rather than a citation: three lowercase words in
# a row ("decision number not confirmed", "scheduling action in force on"); "65 FR 47309",
# "Public Law 91-513" and "CND decision 58/1" are citations.
# A reference that is a citation a reader quotes as it is, in any language: a Federal Register
# page or document number, a public law, a numbered CND decision, a treaty's registration. Any
# other reference in Latin letters describes the act ("temporary placement", "CND 58 (2015),
# decision number not confirmed") and, on the Chinese pages, gives way to its Chinese title.
_CITATION_RE = re.compile(
    r"\d+ FR \d+|FR Doc [\d-]+|Pub\. L\. \d+-\d+"
    r"|CND decisions? \d+/\d+(?: and \d+/\d+)?(?: \(\d{4}\))?"
    r"|UN Treaty Series vol\. \d+, No\. \d+"
)
_LATIN_RE = re.compile(r"[A-Za-z]")


def chinese_language() -> bool:
    """Whether the language in use is Chinese (a page, an answer or a message in it)."""
    return (get_language() or "").lower().startswith("zh")


def citation(reference: str, title_en: str, title_zh: str) -> str:
    """How an instrument is cited in the language in use: its reference number, else its title.

    Some instruments have no known number (the data then says "no number found ..." or "not
    confirmed ..." in the reference); those are cited by their title, which tells a reader more.
    In Chinese, a citation is cited as it is, in whatever language (国务院令第445号, 85 FR 4211:
    what a reader quotes), and a reference that describes the act in English words ("CND 63
    (2020), decision number not confirmed") gives way to the Chinese title where there is one
    (an instrument's page and the lists of instruments show the reference beside it).
    """
    zh = chinese_language()
    if (
        zh
        and title_zh
        and _LATIN_RE.search(reference or "")
        and not _CITATION_RE.fullmatch(reference)
    ):
        return title_zh
    if reference and not reference.lower().startswith(("no number", "not confirmed")):
        return reference
    title = (title_zh or title_en) if zh else (title_en or title_zh)
    return title or reference


class Instrument(EditTracking, models.Model):
    """A legal act that lists, moves or removes items: an announcement, a notice, a decree."""

    uid = models.CharField(max_length=100, unique=True, validators=[validate_uid])
    jurisdiction = models.ForeignKey(
        Jurisdiction, on_delete=models.PROTECT, related_name="instruments"
    )
    reference = models.CharField(max_length=200, blank=True)
    title_zh = models.TextField(blank=True)
    title_en = models.TextField(blank=True)
    issuers = models.TextField(blank=True, help_text=_("Issuing bodies, separated by '; '."))
    published_on = models.DateField(null=True, blank=True, validators=[validate_day_held])
    effective_on = models.DateField(null=True, blank=True, validators=[validate_day_held])
    source_url = models.TextField(blank=True)
    confidence = models.CharField(max_length=16, blank=True)
    notes = models.TextField(blank=True)

    class Precision(models.TextChoices):
        DAY = "day", _("the day is known")
        MONTH = "month", _("only the month is known (effective_on is its first day)")
        YEAR = "year", _("only the year is known (effective_on is 1 January)")
        NOT_BEFORE = (
            "not-before",
            _("took effect on effective_on at the earliest (by effective_bound at the latest)"),
        )
        NOT_AFTER = (
            "not-after",
            _("took effect by effective_on at the latest (from effective_bound at the earliest)"),
        )

    effective_precision = models.CharField(
        max_length=16,
        choices=Precision.choices,
        default=Precision.DAY,
        help_text=_("How precisely the date of entry into force is known."),
    )
    effective_bound = models.DateField(
        validators=[validate_day_held],
        null=True,
        blank=True,
        help_text=_(
            "The other end of the window in which the act took effect: for 'not-before', the "
            "first day by which it had certainly taken effect; for 'not-after', the earliest "
            "day it can have taken effect. Empty: the window is open on that side."
        ),
    )
    evidence = models.BooleanField(
        _("evidence"),
        default=False,
        help_text=_(
            "Not the act that listed its entries: a document that shows them listed on its "
            "date (effective_on), the act that listed them and its day not being identified "
            "('not-after': they may have been listed from effective_bound)."
        ),
    )
    item_dates = models.JSONField(
        default=dict,
        blank=True,
        help_text=_(
            "Items the act dates otherwise than its effective date, as the act states: "
            '{"<substance or class uid>": "YYYY-MM-DD"}; say in the notes where the act says so.'
        ),
    )

    class Meta:
        ordering = ["effective_on", "published_on", "uid"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(reference="") | ~Q(title_en="") | ~Q(title_zh=""),
                name="instrument_identified",
                violation_error_message=_("An instrument needs a reference number or a title."),
            ),
            models.CheckConstraint(
                condition=Q(published_on__isnull=True)
                | Q(effective_on__isnull=True)
                | Q(effective_on__gte=F("published_on")),
                name="instrument_dates_ordered",
                violation_error_message=_(
                    "An instrument cannot take effect before it is published."
                ),
            ),
            models.CheckConstraint(
                condition=Q(evidence=False) | Q(effective_precision="not-after"),
                name="instrument_evidence_not_after",
                violation_error_message=_(
                    "Evidence shows its entries listed by its date at the latest: its precision "
                    "is 'not-after'."
                ),
            ),
        ]

    def __str__(self) -> str:
        return self.reference or self.title_en or self.title_zh

    def get_absolute_url(self) -> str:
        return page_of("web:instrument", self.uid)

    def clean(self) -> None:
        super().clean()
        self._clean_precision()
        if not isinstance(self.item_dates, dict):
            raise ValidationError(
                {"item_dates": _('Give the item dates as {"<uid>": "YYYY-MM-DD", ...}.')}
            )
        for uid, value in self.item_dates.items():
            try:
                validate_uid(uid)
                datetime.date.fromisoformat(value)
            except (TypeError, ValueError, ValidationError):
                raise ValidationError(
                    {
                        "item_dates": _(
                            "%(uid)r: %(value)r is not a subject's uid with a YYYY-MM-DD date."
                        )
                        % {"uid": uid, "value": value}
                    }
                ) from None

    def _clean_precision(self) -> None:
        """The date and its precision say one thing: a month is given by its first day and a
        year by 1 January (as the choices say), and only a window has a bound, on its side."""
        on, bound, precision = self.effective_on, self.effective_bound, self.effective_precision
        windowed = precision in (self.Precision.NOT_BEFORE, self.Precision.NOT_AFTER)
        if bound is not None and not windowed:
            raise ValidationError(
                {
                    "effective_bound": _(
                        "Only a window ('not-before' or 'not-after') has a bound; with this "
                        "precision leave it empty."
                    )
                }
            )
        if on is None:
            if precision != self.Precision.DAY or bound is not None:
                raise ValidationError(
                    {
                        "effective_on": _(
                            "Give the date whose precision this is (the first day of the "
                            "month or year, or the window's end it is reckoned from)."
                        )
                    }
                )
            return
        if precision == self.Precision.MONTH and on.day != 1:
            raise ValidationError(
                {
                    "effective_on": _("With the month alone known, give its first day (%(first)s).")
                    % {"first": on.replace(day=1).isoformat()}
                }
            )
        if precision == self.Precision.YEAR and (on.month, on.day) != (1, 1):
            raise ValidationError(
                {
                    "effective_on": _("With the year alone known, give 1 January (%(first)s).")
                    % {"first": on.replace(month=1, day=1).isoformat()}
                }
            )
        if bound is not None and precision == self.Precision.NOT_BEFORE and bound < on:
            raise ValidationError(
                {"effective_bound": _("For 'not-before' the bound is effective_on or later.")}
            )
        if bound is not None and precision == self.Precision.NOT_AFTER and bound > on:
            raise ValidationError(
                {"effective_bound": _("For 'not-after' the bound is effective_on or earlier.")}
            )

    def uncertain_window(self) -> tuple[datetime.date | None, datetime.date | None] | None:
        """The days on which it is not known whether the act had taken effect, half-open
        [first, end) (None on a side that is open), or None when the day is known."""
        on, precision = self.effective_on, self.effective_precision
        if on is None or precision in ("", self.Precision.DAY):
            return None
        if precision == self.Precision.MONTH:
            first = on.replace(day=1)
            return first, (first + datetime.timedelta(days=32)).replace(day=1)
        if precision == self.Precision.YEAR:
            return on.replace(month=1, day=1), datetime.date(on.year + 1, 1, 1)
        if precision == self.Precision.NOT_BEFORE:
            return on, self.effective_bound
        return self.effective_bound, on  # not-after: certain from effective_on

    def uncertain_on(self, day: datetime.date) -> bool:
        window = self.uncertain_window()
        if window is None:
            return False
        first, end = window
        return (first is None or first <= day) and (end is None or day < end)

    def precision_text(self) -> str:
        """The date of entry into force as precisely as it is known, in words."""
        on, bound = self.effective_on, self.effective_bound
        if on is None:
            return ""
        precision = self.effective_precision
        if precision == self.Precision.MONTH:
            return _("in %(month)s (day not known)") % {"month": on.strftime("%Y-%m")}
        if precision == self.Precision.YEAR:
            return _("in %(year)s (day not known)") % {"year": on.year}
        if precision == self.Precision.NOT_BEFORE:
            if bound:
                # In force from `bound` at the latest: the act took effect on one of the days
                # from `on` to `bound` (76 FR 77330: 2012-01-11 or 2012-01-12).
                return _("between %(on)s and %(bound)s (day not known)") % {
                    "on": on.isoformat(),
                    "bound": bound.isoformat(),
                }
            return _("on %(on)s or later (day not known)") % {"on": on.isoformat()}
        if precision == self.Precision.NOT_AFTER:
            if bound:
                return _("between %(bound)s and %(on)s (day not known)") % {
                    "on": on.isoformat(),
                    "bound": bound.isoformat(),
                }
            return _("on %(on)s at the latest (earlier day not known)") % {"on": on.isoformat()}
        return on.isoformat()

    def date_for(self, subject_uid: str) -> datetime.date | None:
        """The day this act takes effect for one item: the date it states for that item, else
        its effective date (None when the act's date is not on record)."""
        stated = (self.item_dates or {}).get(subject_uid)
        if stated:
            try:
                return datetime.date.fromisoformat(stated)
            except (TypeError, ValueError):
                pass
        return self.effective_on


class ListingAttribute(NamedTuple):
    """What a listing attribute holds, what it means, and whose lists say it."""

    kind: type
    meaning: str
    # The codes of the jurisdictions whose lists say this of an entry; None: any list may.
    jurisdictions: tuple[str, ...] | None = None
    # True: said of a whole-class entry only (what it defers to, what it takes out).
    class_entry: bool = False
    # What the uids of a list value name: "schedule" or "substance" (each must exist).
    names: str = ""


# The attributes a listing may carry, by name: what each jurisdiction's list says of an entry
# besides its place on the list. A value of the wrong type, an unknown name, or an attribute of
# another jurisdiction's lists (a DEA code on a Chinese listing) is refused.
LISTING_ATTRIBUTES = {
    "produced_in_china": ListingAttribute(
        bool,
        _("CN: the list marks the entry with * (produced and used in China); absent: not marked"),
        ("CN",),
    ),
    "dea_code": ListingAttribute(
        str, _("US: the Administration Controlled Substances Code Number, 4 digits"), ("US",)
    ),
    "narcotic": ListingAttribute(
        bool, _("US: whether the entry is a narcotic (the CSA's NARC flag)"), ("US",)
    ),
    "cfr_paragraph": ListingAttribute(
        str, _("US: the paragraph of 21 CFR that lists the entry"), ("US",)
    ),
    "temporary_until": ListingAttribute(
        str,
        _(
            "US: the day (YYYY-MM-DD) the temporary order that made the entry ends, as extended "
            "so far as recorded: from then the entry is in doubt, unless a later act is recorded"
        ),
        ("US",),
    ),
    "continued_shown_on": ListingAttribute(
        str,
        _(
            "US: the day (YYYY-MM-DD) a later act or document shows the entry in force again, "
            "after temporary_until, though what continued it in between is not recorded"
        ),
        ("US",),
    ),
    "legal_text_zh": ListingAttribute(str, _("The act's own wording for this entry, in Chinese")),
    "legal_text_en": ListingAttribute(str, _("An English rendering of legal_text_zh")),
    "legal_text_source": ListingAttribute(
        str, _("Where the wording was read (addresses of public copies)")
    ),
    "named_listings_prevail": ListingAttribute(
        list,
        _(
            "Class entry: the lists (schedule uids) whose named entries keep a compound under "
            "its own listing; while such a listing is in force the class entry does not claim it"
        ),
        class_entry=True,
        names="schedule",
    ),
    "excepted": ListingAttribute(
        list,
        _(
            "The substances (uids) the entry does not reach though they are forms or members "
            "of what it names: a class entry's members taken out for a legitimate use, or a "
            "named entry's own exception (US: Alphacetylmethadol, except levo-alphacetylmethadol)"
        ),
        names="substance",
    ),
    "exceptions_note_en": ListingAttribute(
        str,
        _("Class entry: what its exception clause says and which exceptions are known"),
        class_entry=True,
    ),
    "exceptions_note_zh": ListingAttribute(
        str, _("exceptions_note_en in Chinese"), class_entry=True
    ),
    "with_other_ingredients": ListingAttribute(
        bool,
        _(
            "The entry is for preparations of its ingredient (the record's `contains`) with other "
            "ingredients it does not name (US 21 CFR 1308.13(c)(1): amobarbital with active "
            "medicinal ingredients listed in no schedule; CN: codeine-containing compound oral "
            "liquids): a mixture of that ingredient with other components may be one"
        ),
    ),
    "conditional_coverage": ListingAttribute(
        list,
        _(
            "Coverage words (esters, ethers, ...) the law makes depend on a condition no list "
            "records (US anabolic steroids, 1991-2005: an ester or ether 'if [it] promotes "
            "muscle growth'): a form reached only through them is in doubt"
        ),
    ),
    "conditional_coverage_note_en": ListingAttribute(
        str, _("The condition of conditional_coverage, in the act's words")
    ),
    "conditional_coverage_note_zh": ListingAttribute(
        str, _("conditional_coverage_note_en in Chinese")
    ),
    "compound_preparations": ListingAttribute(
        str,
        _(
            "The entry's own words naming compound preparations of what it lists, beside the "
            "single-ingredient ones its coverage says (CN opium: 包括复方樟脑酊、阿桔片): a "
            "compound preparation of it is then open, not left out"
        ),
    ),
}

# Attributes that the listing's representation publishes as keys of their own, beside
# `attributes`, with their value when the listing does not carry them: they were columns before
# they were attributes, and clients read them there (see registry.representations).
ATTRIBUTES_APART = {"produced_in_china": False}


def attributes_problem(value, jurisdiction: str | None = None) -> str:
    """Why a listing's attributes are not acceptable, or "" when they are.

    `jurisdiction` is the code of the listing's jurisdiction (CN, UN, US): an attribute that
    belongs to other jurisdictions' lists is refused. None: not checked (not known yet).
    """
    if not isinstance(value, dict):
        return str(_("An object of named attributes."))
    for name, item in value.items():
        if name not in LISTING_ATTRIBUTES:
            return str(
                _("Unknown attribute %(name)s; known: %(known)s.")
                % {"name": name, "known": ", ".join(LISTING_ATTRIBUTES)}
            )
        kind, _meaning, jurisdictions, *_rest = LISTING_ATTRIBUTES[name]
        if jurisdiction and jurisdictions is not None and jurisdiction not in jurisdictions:
            return str(
                _(
                    "%(name)s is an attribute of %(theirs)s listings only; this listing is on "
                    "a %(code)s list."
                )
                % {"name": name, "theirs": ", ".join(jurisdictions), "code": jurisdiction}
            )
        if not isinstance(item, kind) or (kind is int and isinstance(item, bool)):
            return str(_("%(name)s must be a %(kind)s.") % {"name": name, "kind": kind.__name__})
        if name == "conditional_coverage":
            continue  # coverage words, below
        if kind is list and not all(isinstance(uid, str) and uid for uid in item):
            return str(_("%(name)s is a list of uids.") % {"name": name})
    conditional = value.get("conditional_coverage")
    if conditional is not None:
        problem = coverage_problem(conditional)
        if problem:
            return str(_("conditional_coverage: %(problem)s") % {"problem": problem})
        if not conditional:
            return str(_("conditional_coverage names at least one coverage word."))
        if not str(value.get("conditional_coverage_note_en") or "").strip():
            return str(_("conditional_coverage needs conditional_coverage_note_en, its condition."))
    elif "conditional_coverage_note_en" in value or "conditional_coverage_note_zh" in value:
        return str(
            _(
                "conditional_coverage_note_en and conditional_coverage_note_zh are the condition "
                "of conditional_coverage, which is not given."
            )
        )
    code = value.get("dea_code")
    if code is not None and not (len(code) == 4 and code.isdigit()):
        return str(_("dea_code is four digits."))
    days = {}
    for name in ("temporary_until", "continued_shown_on"):
        if name in value:
            try:
                if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value[name]):
                    raise ValueError(value[name])
                days[name] = datetime.date.fromisoformat(value[name])
            except ValueError:
                return str(_("%(name)s is a day, YYYY-MM-DD.") % {"name": name})
    if "continued_shown_on" in days and not (
        "temporary_until" in days and days["continued_shown_on"] > days["temporary_until"]
    ):
        return str(_("continued_shown_on is a day after temporary_until, which it needs."))
    return ""


class Listing(EditTracking, models.Model):
    """A substance or a whole class on a schedule for the period [effective_from, effective_to).

    Made by one instrument (`listed_by`) and ended by another (`ended_by`). Rescheduling is one
    listing ending and another starting on the same day, both citing the instrument.
    """

    uid = models.CharField(max_length=100, unique=True, validators=[validate_uid])
    schedule = models.ForeignKey(Schedule, on_delete=models.PROTECT, related_name="listings")
    substance = models.ForeignKey(
        Substance, on_delete=models.PROTECT, null=True, blank=True, related_name="listings"
    )
    substance_class = models.ForeignKey(
        SubstanceClass, on_delete=models.PROTECT, null=True, blank=True, related_name="listings"
    )
    effective_from = models.DateField(validators=[validate_day_held])
    effective_to = models.DateField(null=True, blank=True, validators=[validate_day_held])
    listed_by = models.ForeignKey(
        Instrument, on_delete=models.PROTECT, related_name="listings_made"
    )
    ended_by = models.ForeignKey(
        Instrument, on_delete=models.PROTECT, null=True, blank=True, related_name="listings_ended"
    )
    item_number = models.CharField(max_length=20, blank=True)
    scope = models.TextField(blank=True, help_text=_("What the entry covers or excepts."))
    coverage = models.JSONField(
        null=True,
        blank=True,
        help_text=_(
            "What this entry covers besides the substance itself, where it differs from its "
            "list's footnotes (e.g. items 305-396 of the 2025 non-medical list also cover esters "
            "and ethers); empty: as the list says."
        ),
    )
    attributes = models.JSONField(
        default=dict,
        blank=True,
        help_text=_(
            "What the jurisdiction's list says of this entry besides its place, by name: "
            "produced_in_china (CN: true where the list marks the entry *), dea_code (US "
            "Administration Controlled Substances Code Number), narcotic (US: true or false), "
            "cfr_paragraph (US), ..."
        ),
    )
    source = models.TextField(blank=True)
    notes = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ListingQuerySet.as_manager()

    class Meta:
        ordering = ["effective_from", "id"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(substance__isnull=False) & Q(substance_class__isnull=True))
                | (Q(substance__isnull=True) & Q(substance_class__isnull=False)),
                name="listing_exactly_one_subject",
                violation_error_message=_("A listing names exactly one substance or one class."),
            ),
            models.CheckConstraint(
                condition=Q(effective_to__isnull=True) | Q(effective_to__gt=F("effective_from")),
                name="listing_period_well_formed",
                violation_error_message=_("A listing must end after it starts."),
            ),
            models.CheckConstraint(
                condition=Q(effective_to__isnull=True, ended_by__isnull=True)
                | Q(effective_to__isnull=False, ended_by__isnull=False),
                name="listing_end_has_instrument",
                violation_error_message=_(
                    "An end date needs the instrument that ended the listing, and vice versa."
                ),
            ),
            PostgresExclusionConstraint(
                name="listing_no_overlap_substance",
                expressions=[
                    ("substance", RangeOperators.EQUAL),
                    ("schedule", RangeOperators.EQUAL),
                    (
                        DateRange("effective_from", "effective_to", Value("[)")),
                        RangeOperators.OVERLAPS,
                    ),
                ],
                condition=Q(substance__isnull=False),
                violation_error_message=_(
                    "This substance is already on this list for part of that period."
                ),
            ),
            PostgresExclusionConstraint(
                name="listing_no_overlap_class",
                expressions=[
                    ("substance_class", RangeOperators.EQUAL),
                    ("schedule", RangeOperators.EQUAL),
                    (
                        DateRange("effective_from", "effective_to", Value("[)")),
                        RangeOperators.OVERLAPS,
                    ),
                ],
                condition=Q(substance_class__isnull=False),
                violation_error_message=_(
                    "This class is already on this list for part of that period."
                ),
            ),
        ]
        indexes = [
            models.Index(fields=["effective_from", "effective_to"], name="listing_period_idx"),
            # The class listings, few among many named ones: the foreign key's own index also
            # holds every named listing's NULL, so planners judge it useless for "is a class
            # listing" and scan the listings in force instead.
            models.Index(
                fields=["substance_class"],
                name="listing_class_idx",
                condition=models.Q(substance_class__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.subject} on {self.schedule.code} from {self.effective_from}"

    @property
    def subject(self) -> Substance | SubstanceClass | None:
        return self.substance or self.substance_class

    @property
    def produced_in_china(self) -> bool:
        """China's mark: the list marks the entry * (produced and used in China)."""
        return self.produced_in_china_of(self.attributes)

    @staticmethod
    def produced_in_china_of(attributes) -> bool:
        """China's mark, read from a listing's stored attributes (e.g. a values() row)."""
        return isinstance(attributes, dict) and attributes.get("produced_in_china") is True

    @produced_in_china.setter
    def produced_in_china(self, value: bool) -> None:
        if not isinstance(self.attributes, dict):
            return  # not attributes at all: check_attributes refuses them
        # A new object, so that the edit is seen (EditTracking compares with the loaded one).
        attributes = {k: v for k, v in self.attributes.items() if k != "produced_in_china"}
        if value:
            attributes["produced_in_china"] = True
        self.attributes = attributes

    @property
    def published_attributes(self) -> dict:
        """The attributes as the representation's `attributes` holds them: all but those it
        publishes as keys of their own (ATTRIBUTES_APART)."""
        attributes = self.attributes if isinstance(self.attributes, dict) else {}
        return {k: v for k, v in attributes.items() if k not in ATTRIBUTES_APART}

    @property
    def jurisdiction_code(self) -> str | None:
        """The code of the jurisdiction whose list this is (None while no list is chosen)."""
        if not self.schedule_id:
            return None
        return self.schedule.jurisdiction.code

    def check_attributes(self) -> None:
        """The attributes are known, of their kind, and said by this jurisdiction's lists; a
        class entry's own (what it defers to, what it takes out) are on a class entry, and the
        lists and substances they name exist: a mistyped uid would silently do nothing."""
        problem = attributes_problem(self.attributes, self.jurisdiction_code)
        if problem:
            raise ValidationError({"attributes": problem}, code="listing_attributes")
        until = self.attributes.get("temporary_until")
        first = self.effective_from
        if until and isinstance(first, datetime.date) and until <= first.isoformat():
            raise ValidationError(
                {"attributes": _("temporary_until is a day after the listing's first day.")},
                code="listing_attributes",
            )
        already = set(self.attributes.get("conditional_coverage") or ()) & set(
            self.covers if self.schedule_id else self.coverage or ()
        )
        if already:
            # "esters, on a condition" beside "esters" would say nothing: the entry reaches them.
            raise ValidationError(
                {
                    "attributes": _("conditional_coverage: the entry already covers %(words)s.")
                    % {"words": ", ".join(sorted(already))}
                },
                code="listing_attributes",
            )
        excepted = self.attributes.get("excepted") or ()
        if self.substance_id and self.substance.uid in excepted:
            raise ValidationError(
                {"attributes": _("An entry cannot except the substance it names.")},
                code="listing_attributes",
            )
        for name, value in self.attributes.items():
            spec = LISTING_ATTRIBUTES[name]
            if spec.class_entry and value and not self.substance_class_id:  # empty says nothing
                raise ValidationError(
                    {
                        "attributes": _("%(name)s is said of a whole-class entry only.")
                        % {"name": name}
                    },
                    code="listing_attributes",
                )
            if spec.names:
                model = Schedule if spec.names == "schedule" else Substance
                known = set(model.objects.filter(uid__in=value).values_list("uid", flat=True))
                unknown = [uid for uid in value if uid not in known]
                if unknown:
                    raise ValidationError(
                        {
                            "attributes": _("%(name)s names no %(what)s %(uids)s.")
                            % {
                                "name": name,
                                "what": _("list") if spec.names == "schedule" else _("substance"),
                                "uids": ", ".join(unknown),
                            }
                        },
                        code="listing_attributes",
                    )

    def lapse(self) -> tuple[datetime.date, datetime.date | None] | None:
        """When the temporary order that made the entry ran out with nothing recorded that
        continued it (`temporary_until`), and the day a later act shows it in force again
        (`continued_shown_on`, None when none does); None for any other entry."""
        attributes = self.attributes or {}
        if "temporary_until" not in attributes:
            return None
        shown = attributes.get("continued_shown_on")
        return (
            datetime.date.fromisoformat(attributes["temporary_until"]),
            datetime.date.fromisoformat(shown) if shown else None,
        )

    @property
    def continuity_known_as(self) -> str:
        """What is known of the entry's continuity when a temporary order made it (`lapse`), in
        words; "" otherwise."""
        lapse = self.lapse()
        if lapse is None:
            return ""
        until, shown = (day.isoformat() if day else None for day in lapse)
        if shown:
            return str(
                _(
                    "its temporary order ran until %(until)s; what continued it until %(shown)s "
                    "is not recorded"
                )
                % {"until": until, "shown": shown}
            )
        return str(_("by a temporary order, until %(until)s unless continued") % {"until": until})

    @property
    def run_before(self) -> "Listing | None":
        """The listing on the same list this one continues, from the day it ended: set by
        `registry.history.mark_runs` (which reads a subject's listings together); None when it
        continues none, or when its subject's listings were not read together."""
        return getattr(self, "_run_before", None)

    @property
    def run_start(self) -> "Listing":
        """The listing that began the unbroken run on its list this one continues (`run_before`,
        followed back): the steroids named in 1990, listed again under the 2004 Act's definition
        on 2005-01-20, have been in schedule III since 1991-02-27. Itself when it continues
        none."""
        start = self
        while start.run_before is not None:
            start = start.run_before
        return start

    @property
    def run_from(self) -> datetime.date:
        """Since when the entry's list has held the subject without a break (`run_start`)."""
        return self.run_start.effective_from

    @property
    def start_known_as(self) -> str:
        """How its first day is known, in words, when not to the day: the act's own precision
        ("between 1971-05-01 and 2016-02-08 (day not known)"), or that the registry's record of
        the jurisdiction's lists starts that day (control may be older). "" when known."""
        act = self.listed_by
        if (
            act is not None
            and act.effective_precision != "day"
            and (self.effective_from == act.effective_on)
        ):
            return act.precision_text()
        records_from = self.schedule.jurisdiction.records_from if self.schedule_id else None
        if records_from is not None and self.effective_from == records_from:
            return str(
                _("on this day or earlier: the registry's record of these lists starts then")
            )
        return ""

    @property
    def covers(self) -> tuple[str, ...]:
        """What the entry covers besides the substance itself: its own word, else its list's."""
        return self.covers_of(self.coverage, self.schedule.coverage)

    @staticmethod
    def covers_of(coverage: list | None, list_coverage: list | None) -> tuple[str, ...]:
        """`covers` from an entry's `coverage` and its list's, as a query reads them."""
        value = coverage if coverage is not None else list_coverage
        return tuple(value or ())

    def clean(self) -> None:
        """The attributes belong to the listing's jurisdiction, the dates agree with the
        instruments, and the overlap rule, checked here on every database (SQLite has no
        exclusion)."""
        super().clean()
        self.check_attributes()
        self.check_dates_agree_with_instruments()
        if self.coverage is not None:
            problem = coverage_problem(self.coverage)
            if problem:
                raise ValidationError({"coverage": problem})
        if not self.schedule_id or not (self.substance_id or self.substance_class_id):
            return
        if self.effective_to and self.effective_from and self.effective_to <= self.effective_from:
            return  # the period constraint reports this one
        others = Listing.objects.filter(schedule_id=self.schedule_id).overlapping(
            start=self.effective_from, end=self.effective_to
        )
        if self.substance_id:
            others = others.filter(substance_id=self.substance_id)
            message = _("This substance is already on this list for part of that period.")
        else:
            others = others.filter(substance_class_id=self.substance_class_id)
            message = _("This class is already on this list for part of that period.")
        if self.pk:
            others = others.exclude(pk=self.pk)
        clash = others.order_by("effective_from").first()
        if clash:
            end = clash.effective_to or _("open-ended")
            raise ValidationError(
                f"{message} ({clash.uid}: {clash.effective_from} – {end})",
                code="listing_overlap",
            )

    def check_dates_agree_with_instruments(self) -> None:
        """A listing starts on the day its instrument takes effect and ends on the day its ending
        instrument does: the act's effective date, or the date the act states for this item.

        An act whose date is not on record constrains nothing (the curator gives the date).
        """
        subject = self.substance if self.substance_id else self.substance_class
        uid = subject.uid if subject is not None else ""
        errors = {}
        for field, instrument_field in (
            ("effective_from", "listed_by"),
            ("effective_to", "ended_by"),
        ):
            day = getattr(self, field)
            instrument = (
                getattr(self, instrument_field) if getattr(self, f"{instrument_field}_id") else None
            )
            if day is None or instrument is None:
                continue
            expected = instrument.date_for(uid)
            if expected is not None and day != expected:
                own = uid in (instrument.item_dates or {})
                errors[field] = ValidationError(
                    _(
                        "%(instrument)s takes effect %(whose)son %(expected)s, so %(field)s must "
                        "be %(expected)s, not %(day)s (%(instrument_field)s)."
                    ),
                    code="date_disagrees",
                    params={
                        "instrument": instrument,
                        "whose": f"for {uid} " if own else "",
                        "expected": expected,
                        "field": field,
                        "day": day,
                        "instrument_field": instrument_field,
                    },
                )
        if errors:
            raise ValidationError(errors)


class Change(models.Model):
    """One entry of the append-only change feed.

    Every change to a public resource appends one row, in the same transaction as the change:
    a global, gap-free, strictly increasing `seq`; the action; the resource's type and uid; its
    full sync representation after the change (null for a deletion); who did it and when.
    Rows are never updated or deleted.
    """

    class Action(models.TextChoices):
        CREATED = "created", _("created")
        UPDATED = "updated", _("updated")
        DELETED = "deleted", _("deleted")

    seq = models.BigIntegerField(unique=True)
    at = models.DateTimeField()
    action = models.CharField(max_length=8, choices=Action.choices)
    resource_type = models.CharField(max_length=32)
    uid = models.CharField(max_length=100)
    data = models.JSONField(null=True, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="registry_changes",
    )
    actor_name = models.CharField(max_length=150, blank=True)
    via = models.CharField(max_length=32, blank=True, help_text=_("admin, api, command, ..."))

    objects = ChangeQuerySet.as_manager()

    class Meta:
        ordering = ["seq"]
        constraints = [
            models.CheckConstraint(
                condition=Q(seq__gt=0),
                name="change_seq_positive",
                violation_error_message=_("Sequence numbers start at 1."),
            ),
            models.CheckConstraint(
                condition=Q(action="deleted", data__isnull=True)
                | (Q(action__in=["created", "updated"]) & Q(data__isnull=False)),
                name="change_data_matches_action",
                violation_error_message=_(
                    "A deletion carries no data; a creation or update carries the representation."
                ),
            ),
        ]
        indexes = [models.Index(fields=["resource_type", "uid", "seq"], name="change_resource_idx")]

    def __str__(self) -> str:
        return f"#{self.seq} {self.action} {self.resource_type} {self.uid}"


class DraftChangeSet(models.Model):
    """Legal changes a curator prepared, held back until a reviewer publishes them.

    Listing, delisting, rescheduling, and creating, amending or deleting a listing, an
    instrument or a class can be saved as a draft (under review they must be): its ordered
    `DraftOperation` rows say which service to call with which arguments (by uid). Until a
    reviewer publishes the set, none of it exists in the registry: not in the listings, not in
    the change feed, not in the API. Publishing runs every operation through the services in one
    transaction, with the reviewer as actor; either all of it becomes law in the registry or none.
    """

    class Status(models.TextChoices):
        DRAFT = "draft", _("draft")
        PUBLISHED = "published", _("published")
        DISCARDED = "discarded", _("discarded")

    title = models.CharField(max_length=300)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="draft_changesets",
    )
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.DRAFT)
    notes = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="reviewed_changesets",
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    first_seq = models.BigIntegerField(
        null=True, blank=True, help_text=_("First change-feed row the publication wrote.")
    )
    last_seq = models.BigIntegerField(
        null=True, blank=True, help_text=_("Last change-feed row the publication wrote.")
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        permissions = [("publish_draftchangeset", "Can publish a draft change set")]
        constraints = [
            models.CheckConstraint(
                condition=Q(status="draft") | Q(decided_at__isnull=False),
                name="changeset_decision_dated",
                violation_error_message=_("A published or discarded change set has a date."),
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_open(self) -> bool:
        return self.status == self.Status.DRAFT

    @property
    def via(self) -> str:
        """How the change feed names this set as the door its changes came through."""
        return f"draft {self.pk}"


class DraftOperation(models.Model):
    """One step of a draft: a service of registry.services and its arguments, by uid."""

    class Service(models.TextChoices):
        LIST_SUBSTANCE = "list_substance", _("list")
        DELIST = "delist", _("delist")
        RESCHEDULE = "reschedule", _("reschedule")
        UPDATE_CLASS = "update_class", _("amend class")
        CREATE = "create", _("create")
        UPDATE = "update", _("amend")
        DELETE = "delete", _("delete")

    changeset = models.ForeignKey(
        DraftChangeSet, on_delete=models.CASCADE, related_name="operations"
    )
    position = models.PositiveIntegerField()
    service = models.CharField(max_length=32, choices=Service.choices)
    arguments = models.JSONField(default=dict)
    summary = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["changeset_id", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["changeset", "position"],
                name="draft_operation_position_unique",
                violation_error_message=_("Two operations of a change set share a position."),
            ),
        ]

    def __str__(self) -> str:
        return self.summary or f"{self.service} {self.arguments}"


class CheckJob(models.Model):
    """A screen of a whole file of compounds: the check run on every record, in chunks.

    The file is split into chunks when it arrives (its records are never all in memory); each
    chunk is checked on a worker and its verdicts committed once, with a `CheckJobChunk` row,
    so that every record is answered exactly once even when a worker dies and the chunk runs
    again. The verdicts are kept until `expires_at`, then purged with the job.
    """

    class Status(models.TextChoices):
        QUEUED = "queued", _("queued")
        RUNNING = "running", _("running")
        DONE = "done", _("done")
        FAILED = "failed", _("failed")
        CANCELLED = "cancelled", _("cancelled")

    class Format(models.TextChoices):
        SMILES = "smiles", _("SMILES, one a line, an optional id after white space")
        SDF = "sdf", _("SD file")
        CSV = "csv", _("CSV with id and structure columns")

    uid = models.CharField(max_length=32, unique=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="check_jobs"
    )
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED)
    on = models.DateField(validators=[validate_day_held])
    jurisdiction = models.CharField(max_length=16, blank=True)
    file_name = models.CharField(max_length=255, blank=True)
    file_format = models.CharField(max_length=8, choices=Format.choices)
    total = models.PositiveIntegerField(default=0)
    done = models.PositiveIntegerField(default=0)
    error_count = models.PositiveIntegerField(default=0)
    chunk_size = models.PositiveIntegerField()
    chunk_count = models.PositiveIntegerField(default=0)
    failure = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(done__lte=F("total")),
                name="check_job_done_within_total",
                violation_error_message=_("A job cannot answer more records than it has."),
            ),
        ]
        indexes = [
            models.Index(fields=["owner", "status"], name="check_job_owner_status_idx"),
            models.Index(fields=["expires_at"], name="check_job_expires_idx"),
        ]

    def __str__(self) -> str:
        return f"check job {self.uid} ({self.status}, {self.done}/{self.total})"


class CheckJobChunk(models.Model):
    """One chunk of a check job, answered: the commit point of its verdicts.

    The row is written once per (job, index), in the same transaction as the job's counters;
    a second run of the same chunk (a worker died before acknowledging it) finds the row and
    leaves everything as it is. `result` names the file of its verdicts in the storage.
    """

    job = models.ForeignKey(CheckJob, on_delete=models.CASCADE, related_name="chunks")
    index = models.PositiveIntegerField()
    records = models.PositiveIntegerField()
    result = models.CharField(max_length=255)
    counts = models.JSONField(default=dict)
    errors = models.JSONField(default=list)
    finished_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["job", "index"]
        constraints = [
            models.UniqueConstraint(
                fields=["job", "index"],
                name="check_job_chunk_once",
                violation_error_message=_("This chunk of the job is already answered."),
            ),
        ]

    def __str__(self) -> str:
        return f"chunk {self.index} of {self.job.uid}"


class ApiToken(models.Model):
    """What the registry adds to an API token: its scope and what it is for.

    The token itself is django-rest-knox's: only a digest is stored, it is shown once when it is
    made (`registry.tokens.issue`, from `manage.py create_api_token`) and cannot be read back,
    and it expires (`API_TOKEN_DAYS`, 90 days unless set). A read-only token can read and ask
    the check whatever its account may do; only a read-write token can change the registry, and
    then only what its account's permissions allow. A token without this row is read-only.
    """

    class Scope(models.TextChoices):
        READ = "read", _("read only")
        WRITE = "write", _("read and write")

    token = models.OneToOneField(
        "knox.AuthToken", on_delete=models.CASCADE, primary_key=True, related_name="registry"
    )
    scope = models.CharField(max_length=5, choices=Scope.choices, default=Scope.READ)
    name = models.CharField(max_length=100, blank=True, help_text=_("What the token is for."))

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self) -> str:
        return f"{self.token.user} {self.token.token_key}… ({self.get_scope_display()})"
