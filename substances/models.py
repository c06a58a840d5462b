"""What a thing IS: chemical identity, names, precursor uses and structural class definitions.

Nothing here says whether a thing is controlled; that is the registry's business (listings).
"""

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Length
from django.utils.translation import gettext_lazy as _

from substances import chemistry, matching
from substances.links import page_of
from substances.normalize import canonical_cas, normalize_cas, search_key, sort_name
from substances.querysets import NameQuerySet, SubstanceClassQuerySet, SubstanceQuerySet
from substances.tracking import EditTracking
from substances.validators import (
    refuse_hidden_characters,
    validate_cas,
    validate_day_held,
    validate_uid,
)


class Substance(EditTracking, models.Model):
    """One chemical entity or material that a list can name.

    A compound (fentanyl), a form of one (a salt or stereoisomer entered separately), a material
    (opium, coca leaf, khat), a preparation (codeine-containing compound oral liquids) or a group
    entry (ephedrine-type substances). How it stands to other substances (form of, member of,
    contains, excepted from) is said by its `Relation` rows, each with its own legal meaning. Its
    `uid` is public and permanent: the fixtures carry it, so a rebuilt database keeps the same
    addresses. The curated SMILES is the source of the structure; the canonical SMILES, InChI,
    InChIKey, formula and weight are derived from it on save.
    """

    class Kind(models.TextChoices):
        COMPOUND = "compound", _("compound")
        FORM = "form", _("salt or stereoisomer form")
        MATERIAL = "material", _("plant or material")
        PREPARATION = "preparation", _("preparation")
        GROUP = "group", _("group entry")

    class Ingredients(models.TextChoices):
        # What a preparation holds besides the ingredients its `contains` relations name: the
        # words of the lists (China's 单方制剂 and 复方制剂, the US "with one or more nonnarcotic
        # active medicinal ingredients", the 1961 Convention's "compounded with one or more
        # other ingredients") turn on it.
        SINGLE = "single", _("single-ingredient: the one active ingredient it names")
        COMPOUND = "compound", _("compound: more than one active ingredient, named or not")
        # The 1961 Convention's Schedule III: "compounded with one or more other ingredients",
        # which may be inert (a linctus) or active.
        EITHER = "either", _("either: its entry admits one active ingredient or more")

    uid = models.CharField(max_length=100, unique=True, validators=[validate_uid])
    name_en = models.CharField(_("English name"), max_length=500)
    name_zh = models.CharField(_("Chinese name"), max_length=500, blank=True)
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.COMPOUND)
    ingredients = models.CharField(
        _("active ingredients"),
        max_length=8,
        choices=Ingredients.choices,
        blank=True,
        help_text=_(
            "For a preparation: whether it has one active ingredient (the one it contains), "
            "more (it may name only some of them), or either, as its entry admits. Blank where "
            "the record does not say."
        ),
    )
    cas = models.CharField(
        _("CAS RN"), max_length=16, blank=True, validators=[validate_cas], db_index=True
    )
    smiles = models.TextField(_("SMILES"), blank=True, help_text=_("Curated structure."))
    structure_source = models.CharField(
        max_length=300,
        blank=True,
        help_text=_("Where the structure comes from, and how it was checked."),
    )
    notes = models.TextField(blank=True)

    # Derived from `smiles` on save; never edited by hand.
    canonical_smiles = models.TextField(blank=True, editable=False)
    inchi = models.TextField(_("InChI"), blank=True, editable=False)
    inchikey = models.CharField(_("InChIKey"), max_length=27, blank=True, editable=False)
    formula = models.CharField(max_length=100, blank=True, editable=False)
    molecular_weight = models.FloatField(null=True, blank=True, editable=False)
    parent_key = models.CharField(
        max_length=27,
        blank=True,
        editable=False,
        db_index=True,
        help_text=_("InChIKey of the standardized parent: a salt shares its parent's key."),
    )
    skeleton_key = models.CharField(
        max_length=14,
        blank=True,
        editable=False,
        db_index=True,
        help_text=_("First InChIKey block of the parent: stereoisomers share it."),
    )
    search_key_en = models.CharField(max_length=500, blank=True, editable=False, db_index=True)
    search_key_zh = models.CharField(max_length=500, blank=True, editable=False, db_index=True)
    # What the search orders names by (A-Z, casefolded: "Δ9-THC" beside "δ-..."), kept in the
    # row so that the database ranks and pages the hits without Python reading them all.
    sort_name_en = models.TextField(blank=True, editable=False)
    sort_name_zh = models.TextField(blank=True, editable=False)

    version = models.PositiveIntegerField(default=1, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = SubstanceQuerySet.as_manager()

    class Meta:
        ordering = ["name_en", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["cas"],
                condition=~Q(cas=""),
                name="substance_cas_unique",
                violation_error_message=_("Another substance already has this CAS RN."),
            ),
            models.CheckConstraint(
                condition=~Q(name_en=""),
                name="substance_has_name",
                violation_error_message=_("A substance needs an English name."),
            ),
            models.CheckConstraint(
                condition=Q(ingredients="")
                | (Q(kind="preparation") & Q(ingredients__in=["single", "compound", "either"])),
                name="substance_ingredients_of_preparations",
                violation_error_message=_(
                    "Only a preparation says whether it has one active ingredient or more."
                ),
            ),
        ]
        indexes = [
            models.Index(fields=["inchikey"], name="substance_inchikey_idx"),
            # Close spellings of a short query are looked for among keys of a similar length.
            models.Index(Length("search_key_en"), name="substance_key_en_length"),
            models.Index(Length("search_key_zh"), name="substance_key_zh_length"),
        ]

    def __str__(self) -> str:
        return self.name_en

    def save(self, *args, **kwargs) -> None:
        self.cas = canonical_cas(self.cas)
        self.derive_identifiers()
        self.derive_search_keys()
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return page_of("web:substance", self.uid)

    def clean_fields(self, exclude=None) -> None:
        # Normalised before it is validated and compared, so that full-width digits or a
        # leading zero cannot make a second record of one CAS RN.
        self.cas = canonical_cas(self.cas)
        super().clean_fields(exclude=exclude)
        refuse_hidden_characters(self, ("name_en", "name_zh"))

    def clean(self, *, check_twins: bool = True) -> None:
        """Structure that parses, and one record per compound.

        `check_twins=False` leaves out the per-record duplicate queries, for the bulk path,
        which checks a whole batch at once.
        """
        super().clean()
        if self.ingredients and self.kind != self.Kind.PREPARATION:
            raise ValidationError(
                {
                    "ingredients": _(
                        "Only a preparation says whether it has one active ingredient or more."
                    )
                }
            )
        if self.smiles:
            try:
                chemistry.describe(self.smiles)
            except chemistry.ChemistryError as exc:
                raise ValidationError({"smiles": exc.reason}) from exc
        if check_twins:
            self.check_one_record_per_compound()

    def twins(self) -> "SubstanceQuerySet":
        """Other records of the same compound: the same CAS RN, or the same standardized
        structure (stereo included), unless one is related to the other (a form, a member, a
        preparation), or this one is entered as a form or preparation and differs from the other
        in its full structure (a salt, a solvate, a mixture: its relation follows)."""
        found = Substance.objects.none()
        cas = canonical_cas(self.cas)
        if cas:
            found = Substance.objects.filter(cas=cas)
        key = ""
        if self.smiles:
            try:
                key = chemistry.record_keys(chemistry.parse_structure(self.smiles))[0]
            except chemistry.ChemistryError:
                key = ""
        if key:
            related = Q(pk__in=[])
            if self.pk:
                related = Q(relations__target_id=self.pk) | Q(inverse_relations__subject_id=self.pk)
            same = Substance.objects.filter(parent_key=key).exclude(related)
            if self.kind in (self.Kind.FORM, self.Kind.PREPARATION):
                try:
                    own = chemistry.inchikey(chemistry.parse_structure(self.smiles))
                except chemistry.ChemistryError:
                    own = ""
                same = same.filter(inchikey=own)
            found = found | same
        if self.pk:
            found = found.exclude(pk=self.pk)
        return found

    def check_one_record_per_compound(self) -> None:
        """Refuse a second record of a compound, naming the record that already holds it."""
        twin = self.twins().order_by("uid").first()
        if twin is None:
            return
        same_cas = bool(self.cas) and canonical_cas(self.cas) == twin.cas
        field, what = ("cas", "CAS RN") if same_cas else ("smiles", "structure")
        raise ValidationError(
            {
                field: ValidationError(
                    _(
                        "%(name)s (%(uid)s) already has this %(what)s: the registry keeps one "
                        "record per compound. Add a name to %(uid)s instead, or enter this as "
                        "a form of it."
                    ),
                    code="duplicate",
                    params={"name": twin.name_en, "uid": twin.uid, "what": what},
                )
            }
        )

    def derive_search_keys(self) -> None:
        """The keys the search finds names by, and the names it sorts by: the English name, and
        on a Chinese page the Chinese name where there is one, casefolded."""
        self.search_key_en = search_key(self.name_en)
        self.search_key_zh = search_key(self.name_zh)
        self.sort_name_en = sort_name(self.name_en)
        self.sort_name_zh = sort_name(self.name_zh or self.name_en)

    def derive_identifiers(self) -> None:
        """Fill the derived identifiers from the curated SMILES (blank when there is none)."""
        if not self.smiles:
            self.canonical_smiles = self.inchi = self.inchikey = self.formula = ""
            self.parent_key = self.skeleton_key = ""
            self.molecular_weight = None
            return
        identity = chemistry.describe(self.smiles)
        self.canonical_smiles = identity.canonical_smiles
        self.inchi = identity.inchi
        self.inchikey = identity.inchikey
        self.formula = identity.formula
        self.molecular_weight = identity.molecular_weight
        mol = chemistry.parse_structure(self.smiles)
        self.parent_key, self.skeleton_key = chemistry.record_keys(mol)


class Relation(EditTracking, models.Model):
    """How one substance stands to another in law; each kind carries its own legal meaning.

    - *form of* (`form_of`, with `form`: salt, stereoisomer, ester, ether, hydrate, entry): the
      subject is a form of the target, covered by the target's listings exactly as far as each
      listing's coverage says (see `Listing.coverage`): a salt where the listing covers salts,
      and so on. An *entry* is another record for the compound itself, as one jurisdiction's list
      names it: in one physical form ("Dextropropoxyphene, bulk (non-dosage forms)") or under
      another name ("Nicocodeine", the US entry for nicocodine). It is read both ways: the
      compound's listings reach the entry, except where the entry has a listing of its own,
      which then governs it; the entry's listings reach the compound.
    - *member of* (`member_of`): the subject is a member of a group entry (ephedrine, member of
      the ephedrine-type substances of the precursor annex): covered by the group's listings.
    - *contains* (`contains`): the subject is a preparation, or a material (a plant, a natural
      product), and the target one of its active ingredients. A preparation is covered only by
      its own listings, never by its ingredients' (codeine compound oral liquids are Class II
      psychotropics, never narcotics); only a preparation without listings of its own and with a
      single active ingredient falls under that ingredient's listings that cover
      single-ingredient preparations. A material is covered by its own listings, and where it
      has none by its ingredients' listings that cover `materials` (khat, in US schedules I
      and IV through cathinone and cathine).
    - *excepted from* (`excepted_from`): an instrument or convention excepts the subject from the
      target's listings (dextromethorphan from racemethorphan's, by the 1961 Convention's
      Schedule I); no listing of the target reaches the subject as a form or an isomer.
    """

    class Kind(models.TextChoices):
        FORM_OF = "form_of", _("form of")
        MEMBER_OF = "member_of", _("member of")
        CONTAINS = "contains", _("contains")
        EXCEPTED_FROM = "excepted_from", _("excepted from")

    class Form(models.TextChoices):
        SALT = "salt", _("salt")
        STEREOISOMER = "stereoisomer", _("stereoisomer")
        ESTER = "ester", _("ester")
        ETHER = "ether", _("ether")
        HYDRATE = "hydrate", _("hydrate")
        ENTRY = "entry", _("entry for the compound (in bulk, under another name)")

    uid = models.CharField(max_length=100, unique=True, validators=[validate_uid])
    subject = models.ForeignKey(Substance, on_delete=models.CASCADE, related_name="relations")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    form = models.CharField(
        max_length=16,
        choices=Form.choices,
        blank=True,
        help_text=_(
            "For a form: which kind of form (salt, stereoisomer, ester, ether, hydrate, entry)."
        ),
    )
    target = models.ForeignKey(
        Substance, on_delete=models.PROTECT, related_name="inverse_relations"
    )
    source = models.CharField(max_length=500, blank=True)
    notes = models.TextField(blank=True)

    class Meta:
        ordering = ["subject_id", "kind", "target_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["subject", "kind", "target"],
                name="relation_unique",
                violation_error_message=_("These two substances are already related this way."),
            ),
            models.CheckConstraint(
                condition=~Q(subject=F("target")),
                name="relation_not_to_itself",
                violation_error_message=_("A substance is not related to itself."),
            ),
            models.CheckConstraint(
                condition=(Q(kind="form_of") & ~Q(form="")) | (~Q(kind="form_of") & Q(form="")),
                name="relation_form_only_for_forms",
                violation_error_message=_(
                    "A form names which form it is (salt, stereoisomer, ...); other relations "
                    "name none."
                ),
            ),
            models.CheckConstraint(
                condition=Q(kind__in=["form_of", "member_of", "contains", "excepted_from"]),
                name="relation_kind_valid",
                violation_error_message=_("Unknown relation."),
            ),
        ]

    def __str__(self) -> str:
        what = self.get_form_display() if self.form else self.get_kind_display()
        return f"{self.subject} – {what} – {self.target}"

    def clean(self) -> None:
        super().clean()
        if not (self.subject_id and self.target_id):
            return
        if self.subject_id == self.target_id:
            raise ValidationError({"target": _("A substance is not related to itself.")})
        if self.kind == self.Kind.FORM_OF and not self.form:
            raise ValidationError({"form": _("Say which form this is.")})
        if self.kind != self.Kind.FORM_OF and self.form:
            raise ValidationError({"form": _("Only a form names a form.")})
        if self.kind == self.Kind.CONTAINS:
            # What contains an ingredient is a preparation or a material (a plant, a natural
            # product); what is contained is a substance, not a group entry. A wrong subject is
            # said of the kind: on the subject's own admin page the subject is no field.
            if self.subject.kind not in self.CONTAINERS:
                raise ValidationError(
                    {"kind": _("Only a preparation or a material contains an ingredient.")}
                )
            if self.target.kind == Substance.Kind.GROUP:
                raise ValidationError(
                    {"target": _("A group entry is not an ingredient: name the substance.")}
                )
        if self.kind in self.CHAINED:
            # A form of a form, a member of a group that is a form: the chain must end.
            seen, frontier = set(), {self.target_id}
            while frontier:
                if self.subject_id in frontier:
                    raise ValidationError(
                        {"target": _("These relations would go round in a circle.")}
                    )
                seen |= frontier
                frontier = (
                    set(
                        Relation.objects.filter(subject_id__in=frontier, kind__in=self.CHAINED)
                        .exclude(pk=self.pk)
                        .values_list("target_id", flat=True)
                    )
                    - seen
                )

    # The relations along which coverage flows (and which therefore must not form a circle).
    CHAINED = ("form_of", "member_of")
    # What may contain an ingredient: the subject of a `contains` relation.
    CONTAINERS = (Substance.Kind.PREPARATION, Substance.Kind.MATERIAL)


class Name(EditTracking, models.Model):
    """Any name of a substance besides its preferred English and Chinese ones.

    Synonyms, INNs, systematic names, code names (5F-ADB), trade and street names, Chinese
    alternative names. `search_key` is the normalized form searched on.
    """

    class Language(models.TextChoices):
        ENGLISH = "en", _("English")
        CHINESE = "zh", _("Chinese")
        UNDETERMINED = "und", _("code or symbol")

    class Kind(models.TextChoices):
        SYNONYM = "synonym", _("synonym")
        INN = "inn", _("INN")
        SYSTEMATIC = "systematic", _("systematic name")
        CODE = "code", _("code name")
        TRADE = "trade", _("trade name")
        STREET = "street", _("street name")
        ABBREVIATION = "abbreviation", _("abbreviation")
        CAS = "cas", _("other CAS number (racemate, stereoisomer, salt, group member)")

    uid = models.CharField(max_length=100, unique=True, validators=[validate_uid])
    substance = models.ForeignKey(Substance, on_delete=models.CASCADE, related_name="names")
    name = models.CharField(max_length=1000)
    language = models.CharField(max_length=3, choices=Language.choices)
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.SYNONYM)
    source = models.CharField(max_length=500, blank=True)
    valid_from = models.DateField(
        validators=[validate_day_held],
        null=True,
        blank=True,
        help_text=_("First day the name meant this substance, where its meaning changed."),
    )
    valid_to = models.DateField(
        validators=[validate_day_held],
        null=True,
        blank=True,
        help_text=_(
            "First day the name no longer meant this substance (another list gave it to "
            "another substance). While a dated name is valid, the check resolves the name to "
            "the substances whose dated names are valid that day only."
        ),
    )
    search_key = models.CharField(max_length=1000, editable=False, db_index=True)

    objects = NameQuerySet.as_manager()

    class Meta:
        ordering = ["substance_id", "language", "name", "id"]
        indexes = [
            models.Index(Length("search_key"), name="name_key_length"),
            # The search's row-by-row test of a common key reads a substance's name keys from
            # the index alone (substances/search.py).
            models.Index(fields=["substance", "search_key"], name="name_substance_key"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["substance", "language", "name"],
                name="name_unique_per_substance",
                violation_error_message=_("This substance already has this name."),
            ),
            models.CheckConstraint(
                condition=~Q(name=""),
                name="name_not_blank",
                violation_error_message=_("A name cannot be blank."),
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs) -> None:
        if self.kind == self.Kind.CAS:
            self.name = normalize_cas(self.name) or self.name
        self.search_key = search_key(self.name)
        super().save(*args, **kwargs)

    def clean_fields(self, exclude=None) -> None:
        super().clean_fields(exclude=exclude)
        refuse_hidden_characters(self, ("name",))

    def valid_on(self, day) -> bool:
        return (self.valid_from is None or self.valid_from <= day) and (
            self.valid_to is None or day < self.valid_to
        )


class PrecursorUse(EditTracking, models.Model):
    """What a precursor chemical is used to make, as the UN tables' roles record it.

    P-2-P is a precursor of amphetamine and methamphetamine; NPP and 4-ANPP of fentanyl. The
    product is a registry substance where the registry has it, else only named.
    """

    uid = models.CharField(max_length=100, unique=True, validators=[validate_uid])
    precursor = models.ForeignKey(Substance, on_delete=models.CASCADE, related_name="uses")
    product = models.ForeignKey(
        Substance,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="precursor_uses",
    )
    product_name = models.CharField(max_length=300, blank=True)
    role = models.CharField(max_length=300, blank=True)
    source = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["precursor_id", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(product__isnull=False) | ~Q(product_name=""),
                name="precursor_use_has_product",
                violation_error_message=_("Name the product or link it to a substance."),
            ),
            models.CheckConstraint(
                condition=~Q(product=F("precursor")),
                name="precursor_use_not_itself",
                violation_error_message=_("A substance is not its own precursor."),
            ),
        ]

    def __str__(self) -> str:
        product = self.product.name_en if self.product_id else self.product_name
        return f"{self.precursor} → {product}"


class SubstanceClass(EditTracking, models.Model):
    """A whole class controlled by a structural definition, not by name.

    For example China's fentanyl-related substances (from 2019-05-01) and synthetic
    cannabinoids (from 2021-07-01). It holds the legal text in both languages and machine rules
    (`ClassRule`, SMARTS patterns that include or exclude) that curators edit as data; `notes`
    records every interpretation of the legal text that the rules make. Where the definition
    also asks what a structure cannot show (a receptor activity), `condition` says it, and
    the check answers `uncertain` for a member no named listing covers.
    """

    uid = models.CharField(max_length=100, unique=True, validators=[validate_uid])
    name_en = models.CharField(max_length=300)
    name_zh = models.CharField(max_length=300, blank=True)
    definition_zh = models.TextField(blank=True)
    definition_en = models.TextField(blank=True)
    notes = models.TextField(blank=True)
    notes_zh = models.TextField(
        blank=True, help_text=_("The notes in Chinese, for the Chinese pages.")
    )
    reference_smiles = models.TextField(blank=True)
    condition = models.TextField(
        _("condition beyond structure"),
        blank=True,
        help_text=_(
            "What the legal definition requires besides a structure, which a drawing cannot show "
            "(the US cannabimimetic agents: that the substance be a CB1 receptor agonist, as shown "
            "by binding studies and functional assays), worded to follow 'the definition also "
            "requires'. A member that no named listing answers for is then uncertain, not "
            "controlled. Empty when the rules are the whole definition."
        ),
    )
    condition_zh = models.TextField(
        _("condition beyond structure (Chinese)"),
        blank=True,
        help_text=_("The condition in Chinese, for the Chinese pages."),
    )
    examples = models.JSONField(default=list, blank=True)
    version = models.PositiveIntegerField(default=1, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = SubstanceClassQuerySet.as_manager()

    class Meta:
        ordering = ["name_en", "id"]
        verbose_name_plural = "substance classes"
        constraints = [
            models.CheckConstraint(
                condition=~Q(name_en=""),
                name="class_has_name",
                violation_error_message=_("A class needs an English name."),
            ),
        ]

    def __str__(self) -> str:
        return self.name_en

    def get_absolute_url(self) -> str:
        return page_of("web:class", self.uid)

    def clean(self) -> None:
        super().clean()
        refuse_hidden_characters(self, ("name_en", "name_zh"))
        if self.reference_smiles:
            try:
                chemistry.parse_structure(self.reference_smiles)
            except chemistry.ChemistryError as exc:
                raise ValidationError({"reference_smiles": exc.reason}) from exc
        if self.condition_zh.strip() and not self.condition.strip():
            raise ValidationError(
                {"condition": _("Give the condition in English too: the check reads it.")}
            )
        if problems := example_problems(self.examples):
            raise ValidationError({"examples": problems})


# What a worked example says (docs/class-rules.md): a key outside these was kept and never read.
EXAMPLE_KEYS = ("name", "name_zh", "smiles", "expected", "why", "why_zh")
MAX_EXAMPLES = 200


def example_problems(examples) -> list[str]:
    """What is wrong with a class's worked examples, each named by its place: a list of
    objects with the keys of EXAMPLE_KEYS, texts but `expected` (true or false), and a SMILES
    that can be read where it says whether it is a member (a bare text is a name alone).
    Whether each classifies as it says is the service's test, against the rules saved with it
    (registry.services)."""
    if not isinstance(examples, list):
        return [_("Give the worked examples as a list.")]
    if len(examples) > MAX_EXAMPLES:
        return [
            _("At most %(most)d worked examples (each is tested on every save of the class).")
            % {"most": MAX_EXAMPLES}
        ]
    problems = []
    for place, example in enumerate(examples):
        where = f"examples[{place}]"
        if isinstance(example, str):
            continue  # a name alone, shown as it is
        if not isinstance(example, dict):
            problems.append(
                _("%(where)s: give an object with a name and a SMILES.") % {"where": where}
            )
            continue
        unknown = sorted(set(example) - set(EXAMPLE_KEYS))
        if unknown:
            problems.append(
                _("%(where)s: unknown key %(keys)s (the keys are %(known)s).")
                % {"where": where, "keys": ", ".join(unknown), "known": ", ".join(EXAMPLE_KEYS)}
            )
        if "expected" in example and not isinstance(example["expected"], bool):
            problems.append(_("%(where)s: expected is true or false.") % {"where": where})
        texts = [k for k in EXAMPLE_KEYS if k != "expected" and k in example]
        if any(not isinstance(example[k], str) for k in texts):
            problems.append(
                _("%(where)s: its name, SMILES and reasons are texts.") % {"where": where}
            )
            continue
        if not example.get("smiles", "").strip():
            if "expected" in example:
                problems.append(
                    _("%(where)s: give its SMILES: whether it is a member is tested on it.")
                    % {"where": where}
                )
            continue
        try:
            chemistry.parse_structure(example["smiles"])
        except chemistry.ChemistryError as exc:
            problems.append(f"{where}: {exc.reason}")
    return problems


class RuleKind(models.TextChoices):
    """How a class rule counts (`ClassRule.Kind`): the matcher's kinds, see substances.matching."""

    INCLUDE = matching.INCLUDE, _("include")
    REQUIRE = matching.REQUIRE, _("require")
    EXCLUDE = matching.EXCLUDE, _("exclude")


RULE_KEYS: tuple[str, ...] = (*matching.RULE_FIELDS, "label_zh", "explanation_zh")
"""A rule's keys in a class's representation: what matching reads, and the Chinese label and
explanation the Chinese pages show."""


class ClassRule(models.Model):
    """One machine rule of a class definition: a SMARTS pattern that includes, requires or excludes.

    A structure belongs to the class when at least one include rule matches, every require rule
    matches and no exclude rule does (see substances.matching).
    """

    # Defined at module level so that Meta.constraints can name its values.
    Kind = RuleKind

    substance_class = models.ForeignKey(
        SubstanceClass, on_delete=models.CASCADE, related_name="rules"
    )
    label = models.CharField(max_length=100)
    label_zh = models.CharField(
        max_length=100, blank=True, help_text=_("The label in Chinese, for the Chinese pages.")
    )
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.INCLUDE)
    smarts = models.TextField(_("SMARTS"))
    explanation = models.TextField(blank=True)
    explanation_zh = models.TextField(
        blank=True, help_text=_("The explanation in Chinese, for the Chinese pages.")
    )
    sort_order = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["substance_class_id", "sort_order", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["substance_class", "label"],
                name="class_rule_label_unique",
                violation_error_message=_("This class already has a rule with this label."),
            ),
            models.CheckConstraint(
                condition=Q(kind__in=RuleKind.values),
                name="class_rule_kind_valid",
                violation_error_message=_(
                    "A rule's kind is include, require or exclude (see the class's definition)."
                ),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.substance_class.uid}: {self.label}"

    @property
    def spec(self) -> matching.RuleSpec:
        """The rule as plain data, as the matcher takes it."""
        return matching.RuleSpec(self.label, self.kind, self.smarts, self.explanation)

    def clean(self) -> None:
        super().clean()
        problem = matching.check_rule(self.spec)
        if problem:
            raise ValidationError({"smarts": problem})
