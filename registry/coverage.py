"""Which listings reach a registry record, and why: the typed relations read as the law reads them.

A listing names one substance, and the list's footnotes (its `coverage`, or the listing's own)
say what else the entry covers: salts, stereoisomers, esters, ethers, single-ingredient
preparations. A record is reached by a listing along a *route*:

- directly: the record the input stands for is the listed one;
- as a form: the record is a salt, stereoisomer, ester or ether of the listed one (a `form_of`
  relation, or the input matched the listed record only as its salt or stereoisomer), and the
  listing covers that kind of form;
- as a member: the record is a member of a listed group entry (`member_of`);
- as a single-ingredient preparation: a preparation with no listing of its own and one active
  ingredient, whose listing covers single-ingredient preparations;
- as a preparation containing it: a preparation with other active ingredients, or one whose
  entry admits either, and an ingredient whose listing covers compound preparations (and, for
  the latter, single-ingredient ones): the conventions put every preparation under the
  controls of the drug it contains (1961, article 2(3); 1971, article 3(1)); where the
  preparation has a listing of its own, that listing governs it there;
- as a material containing it: a material (a plant, a natural product) and a substance it
  `contains`, whose listing covers the materials containing it (the US schedules: "any material,
  compound, mixture, or preparation which contains any quantity of"); where the material has a
  listing of its own, that listing governs it there.

A preparation is never reached by its ingredients' listings otherwise (`contains` carries no
coverage of its own), and a record excepted from a listing (`excepted_from`) is never reached by
that listing or by the listings of the excepted target's other forms (the 1961 Convention excepts
dextromethorphan from the isomers of racemethorphan, levomethorphan included).
"""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db.models import Q
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from registry.models import (
    COVERAGE_LABELS,
    COVERAGE_OF_FORM,
    Listing,
    chinese_language,
    coverage_reach,
)
from substances import chemistry
from substances.models import Relation, Substance

# How far a chain of forms and memberships is followed (a salt of a member of a group: 2).
MAX_DEPTH = 4

# A step from a compound to another record for it, an entry naming it in one physical form or
# under another name (the inverse of that entry's `form_of`/`entry` relation).
COMPOUND_ENTRY = "compound_entry"
# A step from a material (a plant, a natural product) to a substance it contains, for a list
# that covers the materials containing what it lists (`materials`).
MATERIAL_INGREDIENT = "material_ingredient"

# A step from a preparation to its one active ingredient, for a list that covers
# single-ingredient preparations (`preparations`).
SINGLE_INGREDIENT = "single_ingredient"
# A step from a preparation that has, or may have, other active ingredients to an ingredient it
# names, for a list that covers compound preparations too (`compound_preparations`: the 1961
# Convention's article 2(3), the 1971 Convention's article 3(1)).
PREPARATION_INGREDIENT = "preparation_ingredient"

# A step from a compound drawn in a mixture with other components to a preparation entry that
# names it as its ingredient (`contains`): the mixture may be such a preparation
# (registry.check._compound_preparations).
COMPOUND_PREPARATION = "compound_preparation"
# A step from a preparation reached by its ingredient's entry to another preparation of the same
# ingredients that a list names on an entry of its own, within limits of strength or
# composition the first does not record: it may be one (registry.check._strength_doubt).
ALIKE_PREPARATION = "alike_preparation"

# How an input matched a record, and what a listing of that record must cover to reach it.
NEEDS_OF_MATCH = {
    "salt": "salts",
    "stereoisomer": "stereoisomers",
    "positional_isomer": "positional_isomers",
    "ester": "esters",
    "ether": "ethers",
}


def record_name(substance: Substance) -> str:
    """A record's name in the language in use: in Chinese its Chinese name where it has one."""
    return (substance.name_zh or substance.name_en) if chinese_language() else substance.name_en


def _derived_phrase(derived: set[str], name: str, *, isomer: bool) -> str:
    """What a structure cut back to a record is of it: "an ester of morphine", "an ester of an
    ether of morphine" (codeine 6-acetate), "an ester of a stereoisomer of levorphanol"."""
    if isomer:
        name = _("a stereoisomer of %(name)s") % {"name": name}
    if derived == {"esters", "ethers"}:
        return _("an ester of an ether of %(name)s") % {"name": name}
    if derived == {"esters"}:
        return _("an ester of %(name)s") % {"name": name}
    return _("an ether of %(name)s") % {"name": name}


def conditional_words(listing: Listing) -> frozenset[str]:
    """What the listing reaches only on a condition no list records (`conditional_coverage`),
    as far as those words reach (`coverage_reach`: "stereoisomers" holds the optical ones)."""
    words = (listing.attributes or {}).get("conditional_coverage") or ()
    return coverage_reach(words)[0] if words else frozenset()


def _isomer_need(record: Substance, target: Substance) -> str:
    """What a listing of `target` must cover to reach `record`, its stereoisomer by a recorded
    relation (`chemistry.isomer_kind`): a racemate's enantiomers and a mirror image are optical
    isomers (levorphanol of racemorphan); a diastereomer (N-methylpseudoephedrine of
    N-methylephedrine) only a stereoisomer."""
    if not (record.smiles and target.smiles):
        # The relations recorded without a structure to tell are a racemate and its
        # enantiomers (racephedrine, (±)-ephedrine, has no one SMILES): a diastereomer is drawn.
        return chemistry.OPTICAL_ISOMERS
    return chemistry.isomer_kind(record.smiles, target.smiles)


def coverage_words(words: Iterable[str]) -> str:
    """Coverage words (`registry.models.COVERAGE`) as running text in the language in use:
    "salts, stereoisomers"; 盐类、立体异构体."""
    labels = [str(COVERAGE_LABELS.get(word, word)) for word in sorted(words)]
    return ("、" if chinese_language() else ", ").join(labels)


@dataclass(frozen=True)
class Step:
    """One relation followed from a record towards a listed one."""

    # form_of, member_of, single_ingredient, preparation_ingredient, compound_entry,
    # material_ingredient, compound_preparation
    kind: str
    form: str  # salt, stereoisomer, ..., entry for a form; "" otherwise
    substance: Substance  # the record reached by this step

    def as_dict(self) -> dict:
        return {
            "relation": self.kind,
            "form": self.form,
            "substance": self.substance.uid,
            "name_en": self.substance.name_en,
            "name_zh": self.substance.name_zh,
        }


@dataclass(frozen=True)
class Route:
    """A way from the record an input matched to a record whose listings may reach it."""

    start: Substance
    matched_by: str
    steps: tuple[Step, ...]
    needs: frozenset[str]

    @property
    def record(self) -> Substance:
        return self.steps[-1].substance if self.steps else self.start

    @property
    def through_entry(self) -> bool:
        """Whether the route goes from an entry for a compound (in bulk, under another name) to
        the compound: where the entry has a listing of its own, that listing governs it."""
        return any(step.form == Relation.Form.ENTRY for step in self.steps)

    @property
    def through_material(self) -> bool:
        """Whether the route goes from a material to a substance it contains: where the material
        has a listing of its own, that listing governs it."""
        return any(step.kind == MATERIAL_INGREDIENT for step in self.steps)

    @property
    def through_stereoisomer(self) -> bool:
        """Whether the route goes from a stereoisomer to the entry of its other configuration:
        where the stereoisomer has a listing of its own, that listing governs it, as it does a
        drawing matched as an isomer (N-methylpseudoephedrine, 8119, is not also N-methylephedrine,
        8115, in US List I)."""
        return any(
            step.kind == Relation.Kind.FORM_OF and step.form == Relation.Form.STEREOISOMER
            for step in self.steps
        )

    @property
    def through_ester_or_ether(self) -> bool:
        """Whether the route goes from an ester or an ether recorded as such (`form_of`) to the
        compound: where it has a listing of its own, that listing governs it, as the 1961
        Convention says of its esters and ethers, "unless appearing in another Schedule"
        (norcodeine, an ether of normorphine, is in Schedule II by name, not in Schedule I)."""
        return any(
            step.kind == Relation.Kind.FORM_OF
            and step.form in (Relation.Form.ESTER, Relation.Form.ETHER)
            for step in self.steps
        )

    @property
    def yields_to_own_entry(self) -> bool:
        """Whether the record the route starts from, where it has a listing of its own, is
        governed by that listing rather than reached along this route: an entry for a compound
        (in bulk, under another name), a material, a stereoisomer, an ester or an ether."""
        return (
            self.through_entry
            or self.through_material
            or self.through_stereoisomer
            or self.through_ester_or_ether
            or self.through_preparation
        )

    @property
    def through_compound_preparation(self) -> bool:
        """Whether the route goes from a preparation that has, or may have, other active
        ingredients to one it names: a list that does not cover it says which preparations it
        covers, and the check says that (registry.check._opening), not "does not cover"."""
        return any(step.kind == PREPARATION_INGREDIENT for step in self.steps)

    @property
    def names_as_member(self) -> bool:
        """Whether the route goes from a preparation only to group entries naming it (a
        preparation of codeine, an item of the 1961 Convention's Schedule III entry for the
        preparations of the codeine group): for a preparation, that entry's listing is its own
        (`yields_to_own_entry`)."""
        return (
            self.start.kind == Substance.Kind.PREPARATION
            and bool(self.steps)
            and all(step.kind == Relation.Kind.MEMBER_OF for step in self.steps)
        )

    @property
    def through_preparation(self) -> bool:
        """Whether the route goes from a preparation to its ingredient: where the preparation
        has a listing of its own (the US's FDA-approved GHB product, the 1961 Convention's
        Schedule III preparations of codeine), that listing governs it; elsewhere the
        ingredient's entry may (China's "单方制剂", the conventions' preparations)."""
        return any(step.kind in (SINGLE_INGREDIENT, PREPARATION_INGREDIENT) for step in self.steps)

    @property
    def ingredient_with_forms(self) -> Substance | None:
        """The ingredient a preparation's route goes on from as a form of another record (an
        ether of it, an entry for it), if it does: where the ingredient has a listing of its own,
        that listing governs it there, as it would the ingredient asked about itself (norcodeine,
        in the 1961 Convention's Schedule II, is not in Schedule I as normorphine's ether, and
        neither is a preparation of it)."""
        for n, step in enumerate(self.steps):
            if step.kind in (SINGLE_INGREDIENT, PREPARATION_INGREDIENT):
                later = self.steps[n + 1 :]
                if any(s.kind in (Relation.Kind.FORM_OF, COMPOUND_ENTRY) for s in later):
                    return step.substance
                return None
        return None

    def reaches(self, listing: Listing) -> bool:
        """Whether the listing covers what the route needs, and does not except the record the
        route starts from (a named entry's `excepted`: "Alphacetylmethadol (except
        levo-alphacetylmethadol)" reaches the other isomers, not that one)."""
        if self._excepted_by(listing):
            return False
        return self.needs <= coverage_reach(listing.covers)[0]

    def uncovered(self, listing: Listing) -> set[str]:
        """What the route needs that the listing does not cover."""
        return set(self.needs - coverage_reach(listing.covers)[0])

    def uncovered_words(self, listing: Listing) -> set[str]:
        """`uncovered` in the words of a list: one that covers no stereoisomer at all (the
        1988 Convention's tables) does not cover "stereoisomers", whichever kind is needed."""
        missing = self.uncovered(listing)
        isomers = {"optical_isomers", "geometric_isomers"}
        if missing & isomers and not isomers & coverage_reach(listing.covers)[0]:
            missing = (missing - isomers) | {"stereoisomers"}
        return missing

    def reaches_on_condition(self, listing: Listing) -> bool:
        """Whether the listing reaches the route only through coverage the law makes depend on
        a condition no list records (`conditional_coverage`: a US anabolic steroid's ester or
        ether "if [it] promotes muscle growth", 1991-2005), or on a reading it leaves open (a
        diastereomer under a US entry's "optical isomers", `coverage_reach`)."""
        reached, open_ = coverage_reach(listing.covers)
        conditional = set(conditional_words(listing)) | open_
        if not conditional or self._excepted_by(listing):
            return False
        return self.needs <= reached | conditional

    def covered_words(self, listing: Listing) -> set[str]:
        """The listing's own words for what the route needs of it: "stereoisomers" for a
        mirror image reached by an entry that covers every stereoisomer, "optical isomers" for
        one reached by a US entry that covers only those."""
        own = set(listing.covers)
        words = set()
        for need in self.needs:
            if need in own:
                words.add(need)
            elif need in ("optical_isomers", "geometric_isomers") and "stereoisomers" in own:
                words.add("stereoisomers")
            elif need == "stereoisomers":
                words |= {"optical_isomers", "geometric_isomers"} & own or {need}
            else:
                words.add(need)
        return words

    def _excepted_by(self, listing: Listing) -> bool:
        """Whether the listing's own exception names the record the route starts from."""
        return bool(self.steps) and self.start.uid in (
            (listing.attributes or {}).get("excepted") or ()
        )

    def explanation(self, *, covered: bool = True, listing: Listing | None = None) -> str:
        """Why the listing of `record` reaches the input, in words of the language in use: the
        records by their names in it (the English name where there is no Chinese one), and
        (unless `covered` is false) what the entry covers, in its words (the `listing`'s
        where it is given)."""
        if not self.steps and not self.needs:
            return ""
        parts = []
        derived = {"esters", "ethers"} & self.needs
        if (
            self.matched_by in ("ester", "ether", "stereoisomer")
            and derived
            and not any(step.form in ("ester", "ether") for step in self.steps)
        ):
            # Cut back to the record by the check (registry.check._esters_and_ethers).
            isomer = self.matched_by == "stereoisomer"
            parts.append(_derived_phrase(derived, record_name(self.start), isomer=isomer))
        elif self.matched_by == "positional_isomer":
            parts.append(_("a positional isomer of %(name)s") % {"name": record_name(self.start)})
        elif self.matched_by in NEEDS_OF_MATCH:
            parts.append(
                _("a %(form)s of %(name)s")
                % {"form": _(self.matched_by), "name": record_name(self.start)}
            )
        elif self.matched_by == "isotopologue":
            parts.append(
                _("an isotope-labelled form of %(name)s") % {"name": record_name(self.start)}
            )
        elif self.steps:
            parts.append(record_name(self.start))
        for step in self.steps:
            name = record_name(step.substance)
            if step.kind in (COMPOUND_PREPARATION, ALIKE_PREPARATION):
                continue  # said with the subject, below
            if step.kind == COMPOUND_ENTRY:
                parts.append(_("%(name)s, as that entry names it") % {"name": name})
            elif step.kind == MATERIAL_INGREDIENT:
                parts.append(_("a material containing %(name)s") % {"name": name})
            elif step.form == Relation.Form.ENTRY:
                parts.append(_("an entry for %(name)s") % {"name": name})
            elif step.form == Relation.Form.ESTER:
                parts.append(_("an ester of %(name)s") % {"name": name})
            elif step.form == Relation.Form.ETHER:
                parts.append(_("an ether of %(name)s") % {"name": name})
            elif step.kind == Relation.Kind.FORM_OF:
                parts.append(
                    _("a %(form)s of %(name)s")
                    % {"form": _(step.form), "name": record_name(step.substance)}
                )
            elif step.kind == Relation.Kind.MEMBER_OF:
                parts.append(_("a member of %(name)s") % {"name": record_name(step.substance)})
            elif step.kind == PREPARATION_INGREDIENT:
                parts.append(_("a preparation containing %(name)s") % {"name": name})
            else:
                parts.append(
                    _("a single-ingredient preparation of %(name)s")
                    % {"name": record_name(step.substance)}
                )
        text = parts[0]
        later = pgettext("a later link of a chain", ", which is ")
        if self.steps and self.steps[0].kind == COMPOUND_PREPARATION:
            text = _(
                "a mixture of %(subject)s with other components, if it is what %(entry)s names"
            ) % {
                "subject": text,
                "entry": record_name(self.steps[0].substance),
            }
            if len(parts) > 1:
                # An item of a listed entry (US 1308.15(c)): "..., which is a member of ...".
                text += later + later.join(parts[1:])
        elif self.steps and self.steps[0].kind == ALIKE_PREPARATION:
            text = _("%(subject)s, if it is one of %(entry)s") % {
                "subject": text,
                "entry": record_name(self.steps[0].substance),
            }
            if len(parts) > 1:
                # An item of a listed group entry (the 1961 Convention's Schedule III).
                text += later + later.join(parts[1:])
        elif len(parts) > 1:
            # "A, which is a salt of B, which is a member of C": Chinese says the first link and
            # the later ones apart (a later one refers back to the record named last, and so
            # does the first where the input is said as a form of a record: "a salt of B, which
            # is a stereoisomer of C" says B is).
            first = _(", which is ") if parts[0] == record_name(self.start) else later
            text += first + later.join(parts[1:])
        if self.needs and covered:
            # Chinese writes the full-width bracket of the translation without a space before it.
            words = self.covered_words(listing) if listing is not None else self.needs
            text += ("" if chinese_language() else " ") + _("(the entry covers %(what)s)") % {
                "what": coverage_words(words)
            }
        return text

    def as_dict(self) -> dict:
        return {
            "matched": self.start.uid,
            "matched_by": self.matched_by,
            "steps": [step.as_dict() for step in self.steps],
            "needs": sorted(self.needs),
        }


@dataclass
class RelationGraph:
    """The relations around a set of records, read in one query per level of the chain."""

    by_subject: dict[int, list[Relation]]
    substances: dict[int, Substance]
    listed_ids: set[int]  # the records that have a listing of their own, ever
    # The other records for a compound (entries naming it in one physical form or under another
    # name), by the compound: read both ways (the compound may be what the entry names; the
    # entry is the compound).
    entries_for: dict[int, list[Relation]] = field(default_factory=dict)

    @classmethod
    def around(cls, records: Iterable[Substance]) -> "RelationGraph":
        """The relations of `records` and of what they lead to. A record may carry
        `has_listing` (annotated by the query that found it), which saves asking again."""
        records = list(records)
        substances = {s.pk: s for s in records}
        listed = {pk for pk, s in substances.items() if getattr(s, "has_listing", False)}
        unknown_listing = {pk for pk, s in substances.items() if not hasattr(s, "has_listing")}
        by_subject: dict[int, list[Relation]] = defaultdict(list)
        read: set[int] = set()
        frontier, depth = set(substances), 0
        entries_for: dict[int, list[Relation]] = defaultdict(list)
        while frontier and depth <= MAX_DEPTH:
            # Two levels of the chain per query: the relations of the frontier and those of
            # their targets (a salt of a member of a group is read at once), and the entries
            # naming one of either (raw opium, for the opium a preparation contains): what a
            # record's answer reads does not depend on what else is asked with it.
            next_level = Relation.objects.filter(subject_id__in=frontier).values("target_id")
            found = list(
                Relation.objects.filter(
                    Q(subject_id__in=frontier)
                    | Q(subject_id__in=next_level)
                    | Q(target_id__in=frontier, form=Relation.Form.ENTRY)
                    | Q(target_id__in=next_level, form=Relation.Form.ENTRY)
                ).select_related("target", "subject")
            )
            read |= frontier | {r.target_id for r in found if r.subject_id in frontier}
            for relation in found:
                if relation not in by_subject[relation.subject_id]:
                    by_subject[relation.subject_id].append(relation)
                entries = (
                    entries_for[relation.target_id]
                    if relation.form == Relation.Form.ENTRY
                    else None
                )
                if entries is not None and relation not in entries:
                    entries.append(relation)
                substances.setdefault(relation.subject_id, relation.subject)
                substances.setdefault(relation.target_id, relation.target)
            frontier = ({r.target_id for r in found} | {r.subject_id for r in found}) - read
            depth += 2
        targets_excepted = {
            r.target_id
            for rels in by_subject.values()
            for r in rels
            if r.kind == Relation.Kind.EXCEPTED_FROM
        }
        if targets_excepted:
            for relation in Relation.objects.filter(
                target_id__in=targets_excepted, kind=Relation.Kind.FORM_OF
            ).select_related("subject"):
                substances.setdefault(relation.subject_id, relation.subject)
                if relation not in by_subject[relation.subject_id]:
                    by_subject[relation.subject_id].append(relation)
        # Whether a record has a listing of its own matters for preparations (one without is
        # covered as a single-ingredient preparation) and isomers (one with is governed by it).
        unknown_listing |= set(substances) - {s.pk for s in records}
        ask = [
            pk
            for pk in unknown_listing
            if pk in substances and substances[pk].kind == Substance.Kind.PREPARATION
        ]
        if ask:
            listed |= set(
                Listing.objects.filter(substance_id__in=ask).values_list("substance_id", flat=True)
            )
        return cls(by_subject, substances, listed, dict(entries_for))

    def excepted(self, records: Iterable[Substance]) -> set[int]:
        """The records whose listings never reach these: each excepted target and its forms."""
        out: set[int] = set()
        for record in records:
            for relation in self.by_subject.get(record.pk, ()):
                if relation.kind != Relation.Kind.EXCEPTED_FROM:
                    continue
                target = relation.target_id
                out.add(target)
                # The target's own forms (its listed isomers) and what the target is a form of;
                # not the compound an entry names (excepted from the bulk entry of
                # dextropropoxyphene, levopropoxyphene is not excepted from the compound).
                for pk, relations in self.by_subject.items():
                    if any(
                        r.kind == Relation.Kind.FORM_OF and r.target_id == target for r in relations
                    ):
                        out.add(pk)
                out.update(
                    r.target_id
                    for r in self.by_subject.get(target, ())
                    if r.kind == Relation.Kind.FORM_OF and r.form != Relation.Form.ENTRY
                )
        out.difference_update(r.pk for r in records)
        return out

    def routes(self, starts: Iterable[tuple[Substance, str, frozenset[str]]]) -> list[Route]:
        """Every route from the matched records (record, how matched, coverage needed)."""
        starts = list(starts)
        # The records the input is (itself, a salt, an ester or an ether of it): their
        # exceptions hold; not those of which it is another stereoisomer.
        exact = [s for s, how, needs in starts if how != "stereoisomer"]
        excepted = self.excepted(exact)
        # An isomer with an entry of its own is governed by it, in the jurisdiction of that
        # entry and on the days it is in force: registry.check weighs that, per listing.
        routes: list[Route] = []
        for start, how, needs in starts:
            if start.pk in excepted:
                continue
            self._walk(Route(start, how, (), needs), excepted, routes)
        # Shortest first: where two routes reach one listing, the first is the one told
        # (racephedrine is a member of the ephedrine-type substances, not first a stereoisomer
        # of ephedrine, which is one).
        return sorted(routes, key=lambda route: len(route.steps))

    def _walk(self, route: Route, excepted: set[int], out: list[Route]) -> None:
        out.append(route)
        if len(route.steps) >= MAX_DEPTH:
            return
        record = route.record
        visited = {route.start.pk, *(step.substance.pk for step in route.steps)}
        relations = self.by_subject.get(record.pk, ())
        for relation in relations:
            target = relation.target
            if target.pk in excepted or target.pk in visited:
                continue
            if relation.kind == Relation.Kind.FORM_OF:
                need = COVERAGE_OF_FORM.get(relation.form)
                if relation.form == Relation.Form.STEREOISOMER:
                    need = _isomer_need(record, target)
                needs = route.needs | ({need} if need else set())
                step = Step(relation.kind, relation.form, target)
                self._walk(
                    Route(route.start, route.matched_by, (*route.steps, step), needs), excepted, out
                )
            elif relation.kind == Relation.Kind.MEMBER_OF:
                step = Step(relation.kind, "", target)
                self._walk(
                    Route(route.start, route.matched_by, (*route.steps, step), route.needs),
                    excepted,
                    out,
                )
        # The compound may be what an entry names (in bulk, say): that entry's listings reach
        # it too (which applies depends on a form neither a name nor a drawing shows). Only from
        # the compound itself, a form of it or a preparation's ingredient (a preparation of
        # opium is one of raw opium, which the US lists; an entry that does not reach
        # preparations, as "dextropropoxyphene, bulk (non-dosage forms)", does not cover such
        # a route): a member of a group is not what the group's entry in another jurisdiction
        # names.
        from_compound = all(
            step.kind in (Relation.Kind.FORM_OF, SINGLE_INGREDIENT, PREPARATION_INGREDIENT)
            for step in route.steps
        )
        for relation in self.entries_for.get(record.pk, ()) if from_compound else ():
            entry = relation.subject
            if entry.pk in excepted or entry.pk in visited:
                continue
            step = Step(COMPOUND_ENTRY, "", entry)
            out.append(Route(route.start, route.matched_by, (*route.steps, step), route.needs))
        ingredients = [r.target for r in relations if r.kind == Relation.Kind.CONTAINS]
        if record.kind == Substance.Kind.MATERIAL and not route.steps:
            # A plant or natural product is not what it contains, except for a list that covers
            # the materials containing what it lists (`materials`); from the ingredient on, the
            # walk goes as from a record of its own (its forms, its groups, what is excepted).
            for ingredient in ingredients:
                if ingredient.pk in excepted:
                    continue
                step = Step(MATERIAL_INGREDIENT, "", ingredient)
                needs = route.needs | {"materials"}
                self._walk(
                    Route(route.start, route.matched_by, (*route.steps, step), needs),
                    excepted | self.excepted([ingredient]),
                    out,
                )
        # A preparation recorded as single-ingredient is one, listed or not (its own listing
        # governs it where it has one: `yields_to_own_entry`); one with a listing of its own and
        # no word on its ingredients is left to that listing, and a compound one is never a
        # single-ingredient preparation, though it names one ingredient (codeine's schedule V
        # preparations, "with one or more nonnarcotic active medicinal ingredients"), nor
        # certainly one whose entry admits either (registry.check._opening says so).
        # An ingredient the route has passed through already (a cycle of `contains`) is not
        # walked again.
        ingredients = [i for i in ingredients if i.pk not in visited]
        if record.kind != Substance.Kind.PREPARATION or not ingredients:
            return
        said = record.ingredients
        single = (
            said not in (Substance.Ingredients.COMPOUND, Substance.Ingredients.EITHER)
            and (record.pk not in self.listed_ids or said == Substance.Ingredients.SINGLE)
            and len(ingredients) == 1
        )
        # From the ingredient on, the walk goes as from a record of its own (a preparation of
        # a salt reaches the compound's entry where that covers salts; one of a member, the
        # group's), with what the ingredient is excepted from.
        if single:
            ingredient = ingredients[0]
            if ingredient.pk not in excepted:
                step = Step(SINGLE_INGREDIENT, "", ingredient)
                needs = route.needs | {"preparations"}
                self._walk(
                    Route(route.start, route.matched_by, (*route.steps, step), needs),
                    excepted | self.excepted([ingredient]),
                    out,
                )
            return
        # Any other preparation is one containing each ingredient it names: a list that covers
        # compound preparations reaches a compound one, and one whose kind is not known (its
        # entry admits either, or the record does not say) where it covers both kinds.
        compound = said == Substance.Ingredients.COMPOUND or (not said and len(ingredients) > 1)
        needs = route.needs | (
            {"compound_preparations"} if compound else {"preparations", "compound_preparations"}
        )
        for ingredient in ingredients:
            if ingredient.pk not in excepted:
                step = Step(PREPARATION_INGREDIENT, "", ingredient)
                self._walk(
                    Route(route.start, route.matched_by, (*route.steps, step), needs),
                    excepted | self.excepted([ingredient]),
                    out,
                )
