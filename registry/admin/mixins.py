"""What the admin classes of the registry share: saves through the services, review, history.

- `ServiceAdminMixin`: every save and delete goes through registry.services, so each leaves its
  change row; a change form writes only the fields its curator changed.
- `HeldForReviewMixin`: under review a save of a legal fact becomes a draft for a reviewer.
- `FeedHistoryMixin`: the history page reads the change feed, with a revert for each state.
- `StaleSaveMixin`: a save refused as stale (someone saved meanwhile) is a message, not an error.
"""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html

from registry import drafts, services
from registry.admin import history
from registry.admin.forms import PermanentUidForm
from registry.models import Change, DraftChangeSet
from registry.representations import resource_type_of
from substances.models import SubstanceClass


def actor_of(request) -> services.Actor:
    return services.Actor.of(request.user, via="admin")


class PermanentUidAdminMixin:
    """The uid is chosen on add (prefilled from `uid_prepopulated_from`) and read-only after."""

    form = PermanentUidForm
    uid_prepopulated_from: tuple[str, ...] = ()

    def get_readonly_fields(self, request, obj=None):
        fields = tuple(super().get_readonly_fields(request, obj))
        return (*fields, "uid") if obj is not None and "uid" not in fields else fields

    def get_prepopulated_fields(self, request, obj=None):
        if obj is None and self.uid_prepopulated_from:
            return {"uid": self.uid_prepopulated_from}
        return {}


class ServiceAdminMixin(PermanentUidAdminMixin):
    """Saves and deletes through the services, so each leaves its change row.

    A change form carries, hidden, the value each field had when the curator opened it; the
    save writes only the fields the curator changed from those, on top of the row as it is
    when saved (services.update_resource locks it and reads it again). So someone else's save
    of other fields meanwhile is kept, not overwritten with the values the form was opened on.
    """

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        if obj is None:
            return form

        class ShownValuesForm(form):
            def __init__(self, *args, **kwargs):
                super().__init__(*args, **kwargs)
                for name, field in self.fields.items():
                    # A post without the value shown (not from this page) is compared with
                    # the stored value instead, as a plain model form does.
                    shown = not self.is_bound or self.add_initial_prefix(name) in self.data
                    field.show_hidden_initial = shown

        ShownValuesForm.__name__ = form.__name__
        return ShownValuesForm

    def save_model(self, request, obj, form, change):
        if not change:
            services.save_resource(obj, actor=actor_of(request))
            return
        services.update_resource(obj, actor=actor_of(request), fields=changed_fields(obj, form))

    def delete_model(self, request, obj):
        services.delete_resource(obj, actor=actor_of(request))

    def delete_queryset(self, request, queryset):
        with transaction.atomic():
            for obj in queryset:
                services.delete_resource(obj, actor=actor_of(request))

    def save_formset(self, request, form, formset, change):
        """Inline rows that are public resources are saved through the services as well."""
        instances = formset.save(commit=False)
        for obj in formset.deleted_objects:
            services.delete_resource(obj, actor=actor_of(request))
        for obj in instances:
            services.save_resource(obj, actor=actor_of(request))
        formset.save_m2m()


class HeldForReviewMixin:
    """Under review (drafts.review_required), saving or deleting a legal fact here makes a
    draft for a reviewer instead: nothing of it is written until someone else publishes it.

    The draft is tried first (drafts.propose), so what could not be published now is refused
    at once. The admin's own log records nothing, since nothing was added, changed or deleted.
    """

    # The admin calls save_model, save_related and response_* in turn with nothing passed
    # between them but the request: the draft a save made is kept on it, under this one name.
    _DRAFT_ATTRIBUTE = "registry_held_draft"

    def _held(self, request) -> DraftChangeSet | None:
        return getattr(request, self._DRAFT_ATTRIBUTE, None)

    def _hold(self, request, draft: DraftChangeSet) -> None:
        setattr(request, self._DRAFT_ATTRIBUTE, draft)

    def _propose(self, request, title: str, step) -> None:
        self._hold(request, drafts.propose(title=title, author=request.user, steps=[step]))

    def save_model(self, request, obj, form, change):
        if not drafts.holds(obj):
            return super().save_model(request, obj, form, change)
        name = obj._meta.verbose_name
        if change:
            current = type(obj)._default_manager.get(pk=obj.pk)
            fields = {f: form.cleaned_data[f] for f in form.changed_data if f in form.cleaned_data}
            self._propose(request, f"Amend {name} {current}", drafts.update_step(current, fields))
        else:
            fields = {f: v for f, v in form.cleaned_data.items() if f != "uid"}
            step = drafts.create_step(type(obj), fields, uid=obj.uid)
            self._propose(request, f"Add {name} {obj}", step)

    def delete_model(self, request, obj):
        if not drafts.holds(obj):
            return super().delete_model(request, obj)
        title = f"Delete {obj._meta.verbose_name} {obj}"
        self._propose(request, title, drafts.delete_step(obj))

    def get_actions(self, request):
        actions = super().get_actions(request)
        if drafts.holds(self.model):
            actions.pop("delete_selected", None)  # one deletion at a time, each as a draft
        return actions

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except ValidationError as exc:
            if not drafts.holds(self.model):
                raise
            # The trial run of the draft failed (the registry changed since the form checked).
            self.message_user(request, " ".join(exc.messages), messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())

    def save_related(self, request, form, formsets, change):
        if self._held(request) is None:
            super().save_related(request, form, formsets, change)
            return
        for formset in formsets:
            formset.save(commit=False)  # fills what the change message reads; writes nothing

    def log_addition(self, request, obj, message):
        if self._held(request) is None:
            return super().log_addition(request, obj, message)

    def log_change(self, request, obj, message):
        if self._held(request) is None:
            return super().log_change(request, obj, message)

    def log_deletions(self, request, queryset):
        if not drafts.holds(self.model):
            return super().log_deletions(request, queryset)

    def _to_draft(self, request, changeset):
        self.message_user(
            request,
            format_html(
                "Saved as the draft <a href='{}'>{}</a>: nothing changes until a reviewer other "
                "than you publishes it.",
                reverse("admin:registry_draftchangeset_change", args=[changeset.pk]),
                changeset,
            ),
            messages.SUCCESS,
        )
        return HttpResponseRedirect(
            reverse("admin:registry_draftchangeset_change", args=[changeset.pk])
        )

    def response_add(self, request, obj, post_url_continue=None):
        if (changeset := self._held(request)) is not None:
            return self._to_draft(request, changeset)
        return super().response_add(request, obj, post_url_continue)

    def response_change(self, request, obj):
        if (changeset := self._held(request)) is not None:
            return self._to_draft(request, changeset)
        return super().response_change(request, obj)

    def response_delete(self, request, obj_display, obj_id):
        if (changeset := self._held(request)) is not None:
            return self._to_draft(request, changeset)
        return super().response_delete(request, obj_display, obj_id)


def changed_fields(obj, form) -> dict:
    """The model fields the curator changed in `form`, with the values set on `obj`."""
    names = {field.name for field in obj._meta.concrete_fields}
    return {name: getattr(obj, name) for name in form.changed_data if name in names}


class FeedHistoryMixin:
    """The history page shows the change feed of the object, with a revert for each state."""

    object_history_template = "admin/registry/object_history.html"

    def get_urls(self):
        opts = self.model._meta
        return [
            path(
                "<path:object_id>/history/revert/<int:seq>/",
                self.admin_site.admin_view(self.revert_view),
                name=f"{opts.app_label}_{opts.model_name}_revert",
            ),
            *super().get_urls(),
        ]

    def history_view(self, request, object_id, extra_context=None):
        obj = self.get_object(request, object_id)
        if obj is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        if not self.has_view_or_change_permission(request, obj):
            raise PermissionDenied
        context = {
            **self.admin_site.each_context(request),
            "title": f"History of {obj}",
            "subtitle": None,
            "object": obj,
            "opts": self.opts,
            "entries": history.history(resource_type_of(obj).name, obj.uid),
            "can_revert": self.has_change_permission(request, obj),
            **(extra_context or {}),
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, self.object_history_template, context)

    def revert_view(self, request, object_id, seq):
        obj = self.get_object(request, object_id)
        if obj is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        if not self.has_change_permission(request, obj):
            raise PermissionDenied
        type_name = resource_type_of(obj).name
        change = get_object_or_404(Change, seq=seq, resource_type=type_name, uid=obj.uid)
        history_url = reverse(
            f"admin:{self.opts.app_label}_{self.opts.model_name}_history", args=[obj.pk]
        )
        if request.method == "POST" and drafts.holds(obj):
            fields = resource_type_of(obj).fields_from(change.data)
            rules = change.data.get("rules") if isinstance(obj, SubstanceClass) else None
            try:
                changeset = drafts.propose(
                    title=f"Revert {obj} to its state after #{seq}",
                    author=request.user,
                    steps=[drafts.update_step(obj, fields, rules=rules)],
                )
            except ValidationError as exc:
                self.message_user(request, " ".join(exc.messages), messages.ERROR)
                return HttpResponseRedirect(history_url)
            return HeldForReviewMixin._to_draft(self, request, changeset)
        if request.method == "POST":
            try:
                written = history.revert(obj, change, actor=actor_of(request))
            except ValidationError as exc:
                self.message_user(request, " ".join(exc.messages), messages.ERROR)
                return HttpResponseRedirect(history_url)
            if written is None:
                self.message_user(request, f"{obj} already is as it was after #{seq}.")
            else:
                self.message_user(
                    request,
                    f"{obj} reverted to its state after #{seq}; recorded as change #{written.seq}.",
                    messages.SUCCESS,
                )
            return HttpResponseRedirect(history_url)
        current = history.Change.objects.for_resource(type_name, obj.uid).last()
        context = {
            **self.admin_site.each_context(request),
            "title": f"Revert {obj} to its state after #{seq}?",
            "object": obj,
            "opts": self.opts,
            "change": change,
            "changes": history.diff(current.data if current else None, change.data),
            "history_url": history_url,
        }
        return TemplateResponse(request, "admin/registry/revert_confirm.html", context)


class StaleSaveMixin:
    """Someone saved between the form's version check and this save: the service refused it
    under the row's lock; say so and show the object afresh instead of an error page."""

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except ValidationError as exc:
            if getattr(exc, "code", None) != "stale" and "stale" not in str(exc):
                raise
            self.message_user(request, " ".join(exc.messages), messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())
