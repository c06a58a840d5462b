"""The curators' admin. Every save and delete goes through registry.services.

Declared here for the substances app's models too (see substances/admin.py for why). What the
curators see on top of Django's admin:

- substances with their names inline and their listings shown; CAS and SMILES checked as typed,
  the derived identifiers and a drawing of the structure shown; search by any name, CAS number
  (any hyphenation) or InChIKey; filters by list, regime and "controlled on a date";
- the legal acts (list, delist, reschedule) as actions, and the import of an announcement;
- each object's history read from the change feed, with a revert that is itself a change;
- a version lock against lost updates; draft change sets that a reviewer publishes.

This module declares the admin classes; the package holds what they are made of:
`mixins` (saves through the services, review, feed history), `forms` (validation and the edit
lock), `filters`, `actions` (list, delist, reschedule), `imports` (the announcement import)
and `history` (an object's history read from the feed, and revert).
"""

import secrets

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Q
from django.forms.models import BaseInlineFormSet
from django.http import Http404, HttpResponseRedirect
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.safestring import mark_safe

from registry import drafts, services, tokens
from registry.admin import actions, pickers
from registry.admin.filters import ControlledOnFilter
from registry.admin.forms import (
    ListingForm,
    NameInlineForm,
    RelationInlineForm,
    SubstanceAdminForm,
    SubstanceClassAdminForm,
    class_fields,
    rules_in_order,
)
from registry.admin.imports import ImportAnnouncementView
from registry.admin.mixins import (
    FeedHistoryMixin,
    HeldForReviewMixin,
    ServiceAdminMixin,
    StaleSaveMixin,
    actor_of,
    changed_fields,
)
from registry.models import (
    Change,
    DraftChangeSet,
    DraftOperation,
    Instrument,
    Jurisdiction,
    Listing,
    Schedule,
)
from registry.representations import BY_NAME
from substances import chemistry
from substances.models import (
    ClassRule,
    Name,
    PrecursorUse,
    Relation,
    Substance,
    SubstanceClass,
)

# --- substances -----------------------------------------------------------------------------


class NameInline(admin.TabularInline):
    model = Name
    form = NameInlineForm
    extra = 1
    fields = ("name", "language", "kind", "source", "uid")


class RelationInline(pickers.TolerantAutocompleteMixin, admin.TabularInline):
    """How this substance stands to others: form of, member of, contains, excepted from."""

    model = Relation
    form = RelationInlineForm
    fk_name = "subject"
    extra = 0
    autocomplete_fields = ("target",)
    verbose_name = "relation to another substance"
    verbose_name_plural = (
        "relations (form of: covered as far as the listing's coverage says; member of: covered "
        "by the group's listings; contains: a preparation's active ingredients, whose listings "
        "do not reach it; excepted from: the target's listings never reach it)"
    )


class ListingInline(admin.TabularInline):
    """A substance's legal history, shown; it changes through the legal actions, not here."""

    model = Listing
    fk_name = "substance"
    extra = 0
    fields = ("schedule", "effective_from", "effective_to", "listed_by", "ended_by", "scope")
    readonly_fields = fields
    show_change_link = True
    can_delete = False
    verbose_name_plural = "listings (change them with the actions: list, delist, reschedule)"

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


# Shown read-only on a substance: the drawing and what is derived from its SMILES on save.
DERIVED_FROM_SMILES = (
    "drawing",
    "canonical_smiles",
    "inchi",
    "inchikey",
    "formula",
    "molecular_weight",
    "parent_key",
    "skeleton_key",
)


@admin.register(Substance)
class SubstanceAdmin(StaleSaveMixin, FeedHistoryMixin, ServiceAdminMixin, admin.ModelAdmin):
    form = SubstanceAdminForm

    class Media:
        css = {"all": ("registry/admin.css",)}

    uid_prepopulated_from = ("name_en",)
    list_display = ("uid", "name_en", "name_zh", "kind", "cas", "formula")
    list_filter = (
        ControlledOnFilter,
        "listings__schedule",
        "listings__schedule__regime",
        "kind",
    )
    search_fields = ("uid", "name_en", "name_zh", "cas", "inchikey", "names__name")
    search_help_text = (
        "Any name (English, Chinese, code name, synonym), a CAS number in any hyphenation, "
        "or an InChIKey."
    )
    fieldsets = (
        (None, {"fields": ("uid", "name_en", "name_zh", "kind", "ingredients")}),
        ("Structure and identifiers", {"fields": ("cas", "smiles", "structure_source")}),
        (
            "Derived from the SMILES (read-only)",
            {"fields": DERIVED_FROM_SMILES},
        ),
        (None, {"fields": ("notes", "version", "expected_version")}),
    )
    readonly_fields = (*DERIVED_FROM_SMILES, "version")
    inlines = [NameInline, RelationInline, ListingInline]
    actions = [
        actions.list_on_schedule,
        actions.delist_from_schedule,
        actions.move_to_schedule,
    ]
    change_list_template = "admin/registry/substance_change_list.html"

    @admin.display(description="structure")
    def drawing(self, obj):
        if not obj.canonical_smiles:
            return "no structure"
        try:
            # Drawn from the canonical SMILES, which carries no free text to inject; a relative
            # configuration from the curated SMILES, of which only enhanced-stereo groups are
            # read (`chemistry.parse_smiles` refuses any other extension).
            relative = obj.smiles if chemistry.drawn_relative(obj.smiles) else ""
            return mark_safe(chemistry.depict_svg(relative or obj.canonical_smiles))
        except chemistry.ChemistryError as exc:
            return f"cannot draw: {exc.reason}"

    def get_urls(self):
        return [
            path(
                "import/",
                self.admin_site.admin_view(ImportAnnouncementView.as_view(model_admin=self)),
                name="substances_substance_import",
            ),
            *super().get_urls(),
        ]

    def has_legal_act_permission(self, request):
        return request.user.has_perms(["registry.add_listing", "registry.change_listing"])

    def get_search_results(self, request, queryset, search_term):
        """Django's word search, widened to the registry's search (substances/search.py)."""
        found, _ = super().get_search_results(request, queryset, search_term)
        if not search_term.strip():
            return found, False
        ranked = Substance.objects.search(search_term, close=True).values("pk")
        return queryset.filter(Q(pk__in=found.values("pk")) | Q(pk__in=ranked)), False

    def save_model(self, request, obj, form, change):
        if change:
            services.update_substance(
                substance=obj,
                actor=actor_of(request),
                expected_version=form.cleaned_data.get("expected_version"),
                **changed_fields(obj, form),
            )
        else:
            services.save_resource(obj, actor=actor_of(request))

    def save_formset(self, request, form, formset, change):
        if formset.model is Name:
            for name_form in formset.forms:
                name = name_form.instance
                if name_form.has_changed() and not name.uid:
                    name.uid = services.new_uid(Name, f"n-{secrets.token_hex(5)}")
        if formset.model is Relation:
            if drafts.holds(Relation) and formset.has_changed():
                self._hold_relations(request, form.instance, formset)
                return
            for relation_form in formset.forms:
                relation = relation_form.instance
                if relation_form.has_changed() and not relation.uid:
                    relation.uid = services.relation_uid(relation)
        super().save_formset(request, form, formset, change)

    def _hold_relations(self, request, substance, formset) -> None:
        """Under review, the relations edited on a substance's page are one draft: they decide
        how far the lists reach it. The substance's own fields are saved as usual."""
        formset.save(commit=False)  # what was added, changed and deleted; writes nothing
        names = [key for key in BY_NAME["relation"].keys if key != "uid"]
        steps = [
            drafts.create_step(
                Relation,
                {n: getattr(relation, n) for n in names},
                uid=relation.uid or services.relation_uid(relation),
            )
            for relation in formset.new_objects
        ]
        steps += [
            drafts.update_step(
                Relation.objects.get(pk=relation.pk),
                {n: getattr(relation, n) for n in changed if n in names},
            )
            for relation, changed in formset.changed_objects
        ]
        steps += [drafts.delete_step(relation) for relation in formset.deleted_objects]
        try:
            changeset = drafts.propose(
                title=f"Relations of {substance}", author=request.user, steps=steps
            )
        except ValidationError as exc:
            self.message_user(
                request, "The relations were not saved: " + " ".join(exc.messages), messages.ERROR
            )
            return
        self.message_user(
            request,
            format_html(
                "The relations were saved as the draft <a href='{}'>{}</a>: they change nothing "
                "until a reviewer other than you publishes it.",
                reverse("admin:registry_draftchangeset_change", args=[changeset.pk]),
                changeset,
            ),
            messages.SUCCESS,
        )


@admin.register(Name)
class NameAdmin(
    pickers.TolerantAutocompleteMixin, FeedHistoryMixin, ServiceAdminMixin, admin.ModelAdmin
):
    list_display = ("name", "substance", "language", "kind")
    list_filter = ("language", "kind")
    search_fields = ("name", "substance__name_en", "substance__uid")
    autocomplete_fields = ("substance",)


@admin.register(Relation)
class RelationAdmin(
    pickers.TolerantAutocompleteMixin,
    FeedHistoryMixin,
    HeldForReviewMixin,
    ServiceAdminMixin,
    admin.ModelAdmin,
):
    list_display = ("subject", "kind", "form", "target", "source")
    list_filter = ("kind", "form")
    search_fields = ("uid", "subject__name_en", "subject__uid", "target__name_en", "target__uid")
    autocomplete_fields = ("subject", "target")


@admin.register(PrecursorUse)
class PrecursorUseAdmin(
    pickers.TolerantAutocompleteMixin, FeedHistoryMixin, ServiceAdminMixin, admin.ModelAdmin
):
    list_display = ("precursor", "product", "product_name", "role")
    search_fields = ("precursor__name_en", "product__name_en", "product_name")
    autocomplete_fields = ("precursor", "product")


class ClassRuleFormSet(BaseInlineFormSet):
    """The class's rules, tested with the class's worked examples before anything is saved:
    an example the rules classify otherwise than it says is an error of the form."""

    def clean(self):
        super().clean()
        if any(form.errors for form in self.forms):
            return
        specs = [ClassRule(**spec).spec for spec in rules_in_order(self)]
        wrong = services.example_contradictions(self.instance.uid, self.instance.examples, specs)
        if wrong:
            raise ValidationError(wrong)


class ClassRuleInline(admin.TabularInline):
    model = ClassRule
    formset = ClassRuleFormSet
    extra = 0
    fields = (
        "sort_order",
        "label",
        "label_zh",
        "kind",
        "smarts",
        "explanation",
        "explanation_zh",
    )


@admin.register(SubstanceClass)
class SubstanceClassAdmin(
    StaleSaveMixin, FeedHistoryMixin, HeldForReviewMixin, ServiceAdminMixin, admin.ModelAdmin
):
    """A class and its rules are one public resource: one change row per save of both.

    "Save as draft" keeps an amendment of the text or rules out of the registry until a
    reviewer publishes it; under review every save is one.
    """

    form = SubstanceClassAdminForm
    uid_prepopulated_from = ("name_en",)
    list_display = ("uid", "name_en", "name_zh", "rule_count")
    search_fields = ("uid", "name_en", "name_zh")
    readonly_fields = ("version",)
    inlines = [ClassRuleInline]

    @admin.display(description="rules")
    def rule_count(self, obj):
        return obj.rules.count()

    def save_model(self, request, obj, form, change):
        """Nothing yet: the class and its rules are written together, in save_related."""

    def save_related(self, request, form, formsets, change):
        """Write the class and its rules in one core call, or hold them in a draft."""
        for formset in formsets:
            formset.save(commit=False)  # fills what the change message reads; writes nothing
        rules_formset = next(fs for fs in formsets if fs.model is ClassRule)
        rules = rules_in_order(rules_formset)
        fields = class_fields(form)
        obj = form.instance
        if not change and drafts.holds(obj):
            step = drafts.create_step(SubstanceClass, fields, uid=obj.uid, rules=rules)
            self._propose(request, f"Define class {obj}", step)
        elif not change:
            created = services.define_class(
                actor=actor_of(request), uid=obj.uid, rules=rules, **fields
            )
            obj.pk, obj._state.adding = created.pk, False
        elif "_save_draft" in request.POST or drafts.holds(obj):
            current = SubstanceClass.objects.get(pk=obj.pk)
            draft = drafts.save_class_amendment(
                current, author=request.user, fields=fields, rules=rules
            )
            self._hold(request, draft)
            obj.refresh_from_db()
        else:
            # Only what the curator changed is written, on top of the class as it is now.
            services.update_class(
                substance_class=SubstanceClass.objects.get(pk=obj.pk),
                actor=actor_of(request),
                rules=rules if rules_formset.has_changed() else None,
                expected_version=form.cleaned_data.get("expected_version"),
                **{key: value for key, value in fields.items() if key in form.changed_data},
            )


# --- registry -------------------------------------------------------------------------------


@admin.register(Jurisdiction)
class JurisdictionAdmin(FeedHistoryMixin, ServiceAdminMixin, admin.ModelAdmin):
    uid_prepopulated_from = ("code",)
    list_display = ("code", "name", "name_zh", "records_from")
    search_fields = ("code", "name", "name_zh")


@admin.register(Schedule)
class ScheduleAdmin(FeedHistoryMixin, HeldForReviewMixin, ServiceAdminMixin, admin.ModelAdmin):
    list_display = ("uid", "jurisdiction", "code", "name", "name_zh", "regime")
    list_filter = ("jurisdiction", "regime")
    search_fields = ("uid", "code", "name", "name_zh")


class _InstrumentListingInline(admin.TabularInline):
    model = Listing
    extra = 0
    fields = ("schedule", "substance", "substance_class", "effective_from", "effective_to")
    readonly_fields = fields
    show_change_link = True
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class ListingsMadeInline(_InstrumentListingInline):
    fk_name = "listed_by"
    verbose_name_plural = "listings this instrument made"


class ListingsEndedInline(_InstrumentListingInline):
    fk_name = "ended_by"
    verbose_name_plural = "listings this instrument ended"


@admin.register(Instrument)
class InstrumentAdmin(FeedHistoryMixin, HeldForReviewMixin, ServiceAdminMixin, admin.ModelAdmin):
    uid_prepopulated_from = ("reference",)
    list_display = (
        "uid",
        "reference",
        "title_en",
        "published_on",
        "effective_on",
        "made",
        "ended",
    )
    list_filter = ("jurisdiction", "confidence")
    search_fields = ("uid", "reference", "title_en", "title_zh")
    date_hierarchy = "effective_on"
    inlines = [ListingsMadeInline, ListingsEndedInline]

    def get_urls(self):
        # The announcement pickers' search (registry.admin.pickers), labelled in full.
        view = self.admin_site.admin_view(
            pickers.InstrumentAutocompleteView.as_view(admin_site=self.admin_site)
        )
        return [
            path("autocomplete/", view, name=pickers.AUTOCOMPLETE_URL_NAME),
            *super().get_urls(),
        ]

    def get_search_results(self, request, queryset, search_term):
        """By reference, title or uid; and by date, typed as 2025, 2025-07 or 2025-07-28."""
        found, distinct = super().get_search_results(request, queryset, search_term)
        by_date = pickers.search_by_date(queryset, search_term)
        return (found | by_date) if by_date.exists() else found, distinct

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(
                made_count=Count("listings_made", distinct=True),
                ended_count=Count("listings_ended", distinct=True),
            )
        )

    @admin.display(description="listings made", ordering="made_count")
    def made(self, obj):
        return obj.made_count

    @admin.display(description="listings ended", ordering="ended_count")
    def ended(self, obj):
        return obj.ended_count


@admin.register(Listing)
class ListingAdmin(
    pickers.TolerantAutocompleteMixin,
    FeedHistoryMixin,
    HeldForReviewMixin,
    ServiceAdminMixin,
    admin.ModelAdmin,
):
    form = ListingForm
    list_display = (
        "uid",
        "schedule",
        "substance",
        "substance_class",
        "effective_from",
        "effective_to",
        "listed_by",
    )
    list_filter = (ControlledOnFilter, "schedule__jurisdiction", "schedule__regime", "schedule")
    search_fields = ("uid", "substance__name_en", "substance__name_zh", "substance__cas")
    autocomplete_fields = ("schedule", "substance", "substance_class")
    date_hierarchy = "effective_from"
    list_select_related = ("schedule__jurisdiction", "substance", "substance_class", "listed_by")

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name in ("listed_by", "ended_by"):
            return pickers.InstrumentChoiceField(
                queryset=Instrument.objects.order_by("-effective_on"),
                required=not db_field.blank,
                label=db_field.verbose_name.capitalize(),
                help_text="Type its date, reference or title.",
                widget=pickers.InstrumentSelect(db_field, self.admin_site),
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


@admin.register(Change)
class ChangeAdmin(admin.ModelAdmin):
    """The feed is append-only: visible to curators, editable by nobody."""

    list_display = ("seq", "at", "action", "resource_type", "uid", "actor_name", "via")
    list_filter = ("action", "resource_type", "via")
    search_fields = ("uid", "actor_name")
    readonly_fields = [f.name for f in Change._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


# --- drafts ---------------------------------------------------------------------------------


class DraftOperationInline(admin.TabularInline):
    model = DraftOperation
    extra = 0
    fields = ("position", "service", "summary", "arguments")
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(DraftChangeSet)
class DraftChangeSetAdmin(admin.ModelAdmin):
    """Drafts are made by the legal actions, the import and "save as draft" on a class.

    A reviewer publishes one (all its operations, in one transaction) or discards it.
    """

    list_display = ("title", "status", "author", "steps", "created_at", "reviewer", "decided_at")
    list_filter = ("status",)
    search_fields = ("title", "notes")
    fields = (
        "title",
        "notes",
        "status",
        "author",
        "created_at",
        "reviewer",
        "decided_at",
        "feed_rows",
    )
    readonly_fields = (
        "status",
        "author",
        "created_at",
        "reviewer",
        "decided_at",
        "feed_rows",
    )
    inlines = [DraftOperationInline]
    actions = ["publish_selected", "discard_selected"]
    change_form_template = "admin/registry/draftchangeset_change_form.html"

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(step_count=Count("operations"))

    @admin.display(description="steps", ordering="step_count")
    def steps(self, obj):
        return obj.step_count

    @admin.display(description="change-feed rows")
    def feed_rows(self, obj):
        if obj.first_seq is None:
            return "—"
        url = reverse("admin:registry_change_changelist")
        return format_html(
            "<a href='{}?seq__gte={}&seq__lte={}'>#{} – #{}</a>",
            url,
            obj.first_seq,
            obj.last_seq,
            obj.first_seq,
            obj.last_seq,
        )

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False  # a decided set is part of the record; an undecided one is discarded

    def has_change_permission(self, request, obj=None):
        if obj is not None and not obj.is_open:
            return False
        return super().has_change_permission(request, obj)

    def has_publish_permission(self, request):
        return request.user.has_perm("registry.publish_draftchangeset")

    def get_urls(self):
        return [
            path(
                "<path:object_id>/decide/",
                self.admin_site.admin_view(self.decide_view),
                name="registry_draftchangeset_decide",
            ),
            *super().get_urls(),
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        obj = self.get_object(request, object_id)
        own = obj is not None and obj.author_id == request.user.pk
        is_reviewer = self.has_publish_permission(request)
        extra_context = {
            **(extra_context or {}),
            "is_reviewer": is_reviewer,
            "own_draft": own,
            "can_publish": is_reviewer and not own,
            "can_discard": is_reviewer or own,
        }
        if obj is not None and obj.is_open:
            extra_context["problems"] = drafts.problems(obj, user=request.user)
        return super().change_view(request, object_id, form_url, extra_context)

    def decide_view(self, request, object_id):
        if request.method != "POST":
            raise PermissionDenied
        # The admin's own lookup: an id that is not a number is "no such set" (404), not a 500.
        changeset = self.get_object(request, object_id)
        if changeset is None:
            raise Http404("No such draft change set.")
        if "publish" in request.POST:
            self._publish(request, [changeset])
        elif "discard" in request.POST:
            self._discard(request, [changeset])
        return HttpResponseRedirect(
            reverse("admin:registry_draftchangeset_change", args=[changeset.pk])
        )

    def _publish(self, request, changesets):
        if not self.has_publish_permission(request):
            raise PermissionDenied
        for changeset in changesets:
            try:
                written = drafts.publish(changeset, reviewer=request.user)
            except ValidationError as exc:
                self.message_user(
                    request,
                    f"{changeset} was not published, nothing of it was applied: "
                    f"{' '.join(exc.messages)}",
                    messages.ERROR,
                )
                continue
            self.message_user(
                request,
                f"{changeset} published: {len(written)} change(s) recorded in the feed.",
                messages.SUCCESS,
            )

    def _discard(self, request, changesets):
        for changeset in changesets:
            if not drafts.may_discard(changeset, request.user):
                raise PermissionDenied
            try:
                drafts.discard(changeset, user=request.user)
            except ValidationError as exc:
                self.message_user(request, " ".join(exc.messages), messages.ERROR)
                continue
            self.message_user(request, f"{changeset} discarded.")

    @admin.action(description="Publish the selected drafts", permissions=["publish"])
    def publish_selected(self, request, queryset):
        self._publish(request, list(queryset))

    @admin.action(description="Discard the selected drafts")
    def discard_selected(self, request, queryset):
        self._discard(request, list(queryset))


# --- API tokens ---------------------------------------------------------------------------

from knox.models import AuthToken  # noqa: E402
from rest_framework.authtoken.models import TokenProxy  # noqa: E402

# The clear-text tokens are gone (migrated to digests): their admin page must not come back;
# knox's own page offers to make tokens without a scope.
for _model in (TokenProxy, AuthToken):
    if admin.site.is_registered(_model):
        admin.site.unregister(_model)


@admin.register(AuthToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """Tokens are listed and revoked here; one is made, and shown once, by create_api_token."""

    list_display = ("user", "token_key", "scope", "purpose", "created", "expiry")
    list_select_related = ("user", "registry")
    search_fields = ("user__username", "registry__name")
    fields = ("user", "token_key", "created", "expiry")
    readonly_fields = fields

    @admin.display(description="scope")
    def scope(self, obj):
        return tokens.scope_of(obj)

    @admin.display(description="for")
    def purpose(self, obj):
        return getattr(getattr(obj, "registry", None), "name", "")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
