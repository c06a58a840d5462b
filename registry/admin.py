"""The curators' admin. Every save and delete goes through registry.services.

Declared here for the substances app's models too (see substances/admin.py for why).
"""

from django.contrib import admin
from django.db import transaction

from registry import services
from registry.models import Change, Instrument, Jurisdiction, Listing, Schedule
from registry.representations import represent
from substances.models import ClassRule, Name, PrecursorUse, Substance, SubstanceClass


def _actor(request) -> services.Actor:
    return services.Actor.of(request.user, via="admin")


class ServiceAdminMixin:
    """Saves and deletes through the services, so each leaves its change row."""

    def save_model(self, request, obj, form, change):
        services.save_resource(obj, actor=_actor(request))

    def delete_model(self, request, obj):
        services.delete_resource(obj, actor=_actor(request))

    def delete_queryset(self, request, queryset):
        with transaction.atomic():
            for obj in queryset:
                services.delete_resource(obj, actor=_actor(request))

    def save_formset(self, request, form, formset, change):
        """Inline rows that are public resources are saved through the services as well."""
        instances = formset.save(commit=False)
        for obj in formset.deleted_objects:
            services.delete_resource(obj, actor=_actor(request))
        for obj in instances:
            services.save_resource(obj, actor=_actor(request))
        formset.save_m2m()


class NameInline(admin.TabularInline):
    model = Name
    extra = 0
    fields = ("uid", "name", "language", "kind", "source")


class ListingInline(admin.TabularInline):
    model = Listing
    fk_name = "substance"
    extra = 0
    fields = ("uid", "schedule", "effective_from", "effective_to", "listed_by", "ended_by", "scope")
    autocomplete_fields = ("schedule", "listed_by", "ended_by")
    show_change_link = True


@admin.register(Substance)
class SubstanceAdmin(ServiceAdminMixin, admin.ModelAdmin):
    list_display = ("uid", "name_en", "name_zh", "kind", "cas", "formula")
    list_filter = ("kind", "listings__schedule__regime", "listings__schedule")
    search_fields = ("uid", "name_en", "name_zh", "cas", "inchikey", "names__name")
    readonly_fields = (
        "canonical_smiles",
        "inchi",
        "inchikey",
        "formula",
        "molecular_weight",
        "version",
    )
    autocomplete_fields = ("parent",)
    inlines = [NameInline, ListingInline]


@admin.register(Name)
class NameAdmin(ServiceAdminMixin, admin.ModelAdmin):
    list_display = ("name", "substance", "language", "kind")
    list_filter = ("language", "kind")
    search_fields = ("name", "substance__name_en", "substance__uid")
    autocomplete_fields = ("substance",)


@admin.register(PrecursorUse)
class PrecursorUseAdmin(ServiceAdminMixin, admin.ModelAdmin):
    list_display = ("precursor", "product", "product_name", "role")
    search_fields = ("precursor__name_en", "product__name_en", "product_name")
    autocomplete_fields = ("precursor", "product")


class ClassRuleInline(admin.TabularInline):
    model = ClassRule
    extra = 0
    fields = ("sort_order", "label", "kind", "smarts", "explanation")


@admin.register(SubstanceClass)
class SubstanceClassAdmin(admin.ModelAdmin):
    """A class and its rules are one public resource: one change row per save of both."""

    list_display = ("uid", "name_en", "name_zh")
    search_fields = ("uid", "name_en", "name_zh")
    inlines = [ClassRuleInline]

    def save_model(self, request, obj, form, change):
        request._class_before = represent(SubstanceClass.objects.get(pk=obj.pk)) if change else None
        obj.save()

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        obj = form.instance
        after = represent(obj)
        if after != getattr(request, "_class_before", None):
            services.record_change(
                action="updated" if change else "created", instance=obj, actor=_actor(request)
            )

    def delete_model(self, request, obj):
        services.delete_resource(obj, actor=_actor(request))

    def delete_queryset(self, request, queryset):
        with transaction.atomic():
            for obj in queryset:
                services.delete_resource(obj, actor=_actor(request))


@admin.register(Jurisdiction)
class JurisdictionAdmin(ServiceAdminMixin, admin.ModelAdmin):
    list_display = ("code", "name", "name_zh")
    search_fields = ("code", "name", "name_zh")


@admin.register(Schedule)
class ScheduleAdmin(ServiceAdminMixin, admin.ModelAdmin):
    list_display = ("uid", "jurisdiction", "code", "name", "name_zh", "regime")
    list_filter = ("jurisdiction", "regime")
    search_fields = ("uid", "code", "name", "name_zh")


@admin.register(Instrument)
class InstrumentAdmin(ServiceAdminMixin, admin.ModelAdmin):
    list_display = ("uid", "reference", "title_en", "published_on", "effective_on")
    list_filter = ("jurisdiction", "confidence")
    search_fields = ("uid", "reference", "title_en", "title_zh")
    date_hierarchy = "effective_on"


@admin.register(Listing)
class ListingAdmin(ServiceAdminMixin, admin.ModelAdmin):
    list_display = (
        "uid",
        "schedule",
        "substance",
        "substance_class",
        "effective_from",
        "effective_to",
        "listed_by",
    )
    list_filter = ("schedule__jurisdiction", "schedule__regime", "schedule")
    search_fields = ("uid", "substance__name_en", "substance__name_zh", "substance__cas")
    autocomplete_fields = ("schedule", "substance", "substance_class", "listed_by", "ended_by")
    date_hierarchy = "effective_from"


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
