"""What a thing IS: chemical identity, names, precursor uses and structural class definitions.

Nothing here says whether a thing is controlled; that is the registry's business (listings).
"""

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from substances import chemistry, matching
from substances.normalize import canonical_cas, search_key
from substances.querysets import NameQuerySet, SubstanceQuerySet
from substances.validators import validate_cas, validate_uid


class Substance(models.Model):
    """One chemical entity or material that a list can name.

    A compound (fentanyl), a form of one (a salt or stereoisomer entered separately, with its
    `parent`), a material (opium, coca leaf, khat) or a preparation (codeine-containing compound
    oral liquids). Its `uid` is public and permanent: the fixtures carry it, so a rebuilt
    database keeps the same addresses. The curated SMILES is the source of the structure; the
    canonical SMILES, InChI, InChIKey, formula and weight are derived from it on save.
    """

    class Kind(models.TextChoices):
        COMPOUND = "compound", _("compound")
        FORM = "form", _("salt or stereoisomer form")
        MATERIAL = "material", _("plant or material")
        PREPARATION = "preparation", _("preparation")

    uid = models.CharField(max_length=100, unique=True, validators=[validate_uid])
    name_en = models.CharField(_("English name"), max_length=500)
    name_zh = models.CharField(_("Chinese name"), max_length=500, blank=True)
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.COMPOUND)
    cas = models.CharField(
        _("CAS RN"), max_length=16, blank=True, validators=[validate_cas], db_index=True
    )
    smiles = models.TextField(_("SMILES"), blank=True, help_text=_("Curated structure."))
    structure_source = models.CharField(
        max_length=300,
        blank=True,
        help_text=_("Where the structure comes from, and how it was checked."),
    )
    parent = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="forms",
        help_text=_("The parent compound of a salt, isomer or preparation."),
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
                condition=~Q(parent=F("pk")),
                name="substance_not_own_parent",
                violation_error_message=_("A substance cannot be its own parent."),
            ),
        ]
        indexes = [models.Index(fields=["inchikey"], name="substance_inchikey_idx")]

    def __str__(self) -> str:
        return self.name_en

    def save(self, *args, **kwargs) -> None:
        self.cas = canonical_cas(self.cas)
        self.derive_identifiers()
        self.search_key_en = search_key(self.name_en)
        self.search_key_zh = search_key(self.name_zh)
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse("web:substance", kwargs={"uid": self.uid})

    def clean_fields(self, exclude=None) -> None:
        # Normalised before it is validated and compared, so that full-width digits or a
        # leading zero cannot make a second record of one CAS RN.
        self.cas = canonical_cas(self.cas)
        super().clean_fields(exclude=exclude)

    def clean(self, *, check_twins: bool = True) -> None:
        """Structure that parses, no parent cycle, and one record per compound.

        `check_twins=False` leaves out the per-record duplicate queries, for the bulk path,
        which checks a whole batch at once.
        """
        super().clean()
        if self.smiles:
            try:
                chemistry.describe(self.smiles)
            except chemistry.ChemistryError as exc:
                raise ValidationError({"smiles": exc.reason}) from exc
        self.check_parent_chain()
        if check_twins:
            self.check_one_record_per_compound()

    def check_parent_chain(self) -> None:
        """Refuse a parent that is this substance or descends from it (a cycle).

        A cycle would make each of its members undeletable (each protects the next) and send
        every walk up the parents round forever.
        """
        if not self.parent_id:
            return
        if self.pk and self.parent_id == self.pk:
            raise ValidationError({"parent": _("A substance cannot be its own parent.")})
        if not self.pk:
            return  # a new record has no forms yet, so nothing above it can descend from it
        seen, current = {self.pk}, self.parent_id
        while current is not None:
            if current in seen:
                raise ValidationError(
                    {
                        "parent": _(
                            "%(parent)s is a form of %(uid)s (directly or through others): "
                            "a substance cannot descend from itself."
                        )
                        % {"parent": self.parent.uid, "uid": self.uid}
                    },
                    code="parent_cycle",
                )
            seen.add(current)
            current = (
                Substance.objects.filter(pk=current).values_list("parent_id", flat=True).first()
            )

    def twins(self) -> "SubstanceQuerySet":
        """Other records of the same compound: the same CAS RN, or the same standardized
        structure (stereo included), unless they are explicitly this one's parent or form."""
        found = Substance.objects.none()
        cas = canonical_cas(self.cas)
        if cas:
            found = Substance.objects.filter(cas=cas)
        key = ""
        if self.smiles:
            try:
                key = chemistry.parent_key(chemistry.parse_structure(self.smiles))
            except chemistry.ChemistryError:
                key = ""
        if key:
            related = Q(parent_id=self.pk) if self.pk else Q(pk__in=[])
            if self.parent_id:
                related |= Q(pk=self.parent_id)
            found = found | Substance.objects.filter(parent_key=key).exclude(related)
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
        self.parent_key = chemistry.parent_key(mol)
        self.skeleton_key = chemistry.skeleton_key(mol)


class Name(models.Model):
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

    uid = models.CharField(max_length=100, unique=True, validators=[validate_uid])
    substance = models.ForeignKey(Substance, on_delete=models.CASCADE, related_name="names")
    name = models.CharField(max_length=1000)
    language = models.CharField(max_length=3, choices=Language.choices)
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.SYNONYM)
    source = models.CharField(max_length=500, blank=True)
    search_key = models.CharField(max_length=1000, editable=False, db_index=True)

    objects = NameQuerySet.as_manager()

    class Meta:
        ordering = ["substance_id", "language", "name", "id"]
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
        self.search_key = search_key(self.name)
        super().save(*args, **kwargs)


class PrecursorUse(models.Model):
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


class SubstanceClass(models.Model):
    """A whole class controlled by a structural definition, not by name.

    For example China's fentanyl-related substances (from 2019-05-01) and synthetic
    cannabinoids (from 2021-07-01). It holds the legal text in both languages and machine rules
    (`ClassRule`, SMARTS patterns that include or exclude) that curators edit as data; `notes`
    records every interpretation of the legal text that the rules make.
    """

    uid = models.CharField(max_length=100, unique=True, validators=[validate_uid])
    name_en = models.CharField(max_length=300)
    name_zh = models.CharField(max_length=300, blank=True)
    definition_zh = models.TextField(blank=True)
    definition_en = models.TextField(blank=True)
    notes = models.TextField(blank=True)
    reference_smiles = models.TextField(blank=True)
    examples = models.JSONField(default=list, blank=True)
    version = models.PositiveIntegerField(default=1, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

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
        return reverse("web:class", kwargs={"uid": self.uid})

    def clean(self) -> None:
        super().clean()
        if self.reference_smiles:
            try:
                chemistry.parse_structure(self.reference_smiles)
            except chemistry.ChemistryError as exc:
                raise ValidationError({"reference_smiles": exc.reason}) from exc


class ClassRule(models.Model):
    """One machine rule of a class definition: a SMARTS pattern that includes, requires or excludes.

    A structure belongs to the class when at least one include rule matches, every require rule
    matches and no exclude rule does (see substances.matching).
    """

    class Kind(models.TextChoices):
        INCLUDE = "include", _("include")
        REQUIRE = "require", _("require")
        EXCLUDE = "exclude", _("exclude")

    substance_class = models.ForeignKey(
        SubstanceClass, on_delete=models.CASCADE, related_name="rules"
    )
    label = models.CharField(max_length=100)
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.INCLUDE)
    smarts = models.TextField(_("SMARTS"))
    explanation = models.TextField(blank=True)
    sort_order = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["substance_class_id", "sort_order", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["substance_class", "label"],
                name="class_rule_label_unique",
                violation_error_message=_("This class already has a rule with this label."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.substance_class.uid}: {self.label}"

    def clean(self) -> None:
        super().clean()
        problem = matching.check_rule(
            matching.RuleSpec(self.label, self.kind, self.smarts, self.explanation)
        )
        if problem:
            raise ValidationError({"smarts": problem})
