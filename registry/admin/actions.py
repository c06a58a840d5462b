"""The legal acts as admin actions: list, delist and reschedule the selected substances.

Each asks, on a page of its own, for the instrument and the effective date, then either applies
the whole batch through registry.services in one transaction (all or nothing: one overlap or
one missing listing and no substance of the batch changes) or puts it into a draft change set
for a reviewer. Each act is planned as draft operations even when applied at once, so the two
roads run the same code.
"""

from dataclasses import dataclass, field
from typing import Any

from django.contrib import messages
from django.contrib.admin import helpers
from django.core.exceptions import ValidationError
from django.db import transaction
from django.template.response import TemplateResponse

from registry import drafts, services
from registry.admin.forms import DelistForm, LegalActionForm, ListForm, RescheduleForm
from registry.models import DraftOperation, Listing

Service = DraftOperation.Service


@dataclass
class Plan:
    """The operations a legal act makes, and what stops some of them before they start."""

    steps: list[tuple[str, str, dict[str, Any]]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def add(self, service: str, summary: str, **arguments: Any) -> None:
        self.steps.append((service, summary, arguments))


def _open_listing(substance, schedule, on) -> Listing | None:
    """The substance's open-ended listing on a schedule that started before `on`."""
    return (
        Listing.objects.filter(substance=substance, schedule=schedule, effective_to__isnull=True)
        .filter(effective_from__lt=on)
        .first()
    )


def plan_list(form: ListForm, substances) -> Plan:
    plan = Plan()
    data, schedule = form.cleaned_data, form.cleaned_data["schedule"]
    when = f"from {form.effective_date} ({data['instrument']})"
    for substance in substances:
        plan.add(
            Service.LIST_SUBSTANCE,
            f"list {substance} on {schedule.code} {when}",
            substance=substance.uid,
            schedule=schedule.uid,
            instrument=data["instrument"].uid,
            effective_from=form.effective_date.isoformat(),
        )
    return plan


def plan_delist(form: DelistForm, substances) -> Plan:
    plan = Plan()
    data, schedule = form.cleaned_data, form.cleaned_data["schedule"]
    for substance in substances:
        listing = _open_listing(substance, schedule, form.effective_date)
        if listing is None:
            plan.problems.append(
                f"{substance}: not on {schedule.code} before {form.effective_date} "
                "(or its listing has already ended), so there is nothing to end."
            )
            continue
        plan.add(
            Service.DELIST,
            f"end {substance} on {schedule.code} from {form.effective_date} ({data['instrument']})",
            listing=listing.uid,
            instrument=data["instrument"].uid,
            effective_to=form.effective_date.isoformat(),
        )
    return plan


def plan_reschedule(form: RescheduleForm, substances) -> Plan:
    plan = Plan()
    data = form.cleaned_data
    source, target = data["from_schedule"], data["to_schedule"]
    for substance in substances:
        listing = _open_listing(substance, source, form.effective_date)
        if listing is None:
            plan.problems.append(
                f"{substance}: not on {source.code} before {form.effective_date}, "
                "so it cannot be moved from there."
            )
            continue
        plan.add(
            Service.RESCHEDULE,
            f"move {substance} from {source.code} to {target.code} on {form.effective_date} "
            f"({data['instrument']})",
            listing=listing.uid,
            to_schedule=target.uid,
            instrument=data["instrument"].uid,
            effective_on=form.effective_date.isoformat(),
        )
    return plan


class _Refused(Exception):
    pass


def apply_now(plan: Plan, *, actor: services.Actor) -> list[str]:
    """Run every step through the services in one transaction; return the problems, if any.

    Every step is tried (each in a savepoint), so the curator sees every problem at once; if
    there is any, the whole transaction is rolled back.
    """
    problems = list(plan.problems)
    try:
        with transaction.atomic():
            for service, summary, arguments in plan.steps:
                try:
                    with transaction.atomic():
                        drafts.RUNNERS[service](arguments, actor)
                except ValidationError as exc:
                    problems.append(f"{summary}: {'; '.join(exc.messages)}")
            if problems:
                raise _Refused
    except _Refused:
        pass
    return problems


def save_to_draft(plan: Plan, form: LegalActionForm, *, user, title: str):
    """Add the steps to a draft after a trial run of the whole draft; (draft, problems)."""
    if plan.problems:
        return None, list(plan.problems)
    try:
        with transaction.atomic():
            changeset = form.draft(user=user, default_title=title)
            for service, summary, arguments in plan.steps:
                drafts.add_operation(changeset, service=service, summary=summary, **arguments)
            problems = drafts.problems(changeset, user=user)
            if problems:
                raise _Refused
    except _Refused:
        return None, problems
    return changeset, []


def _legal_action(modeladmin, request, queryset, *, form_class, planner, verb: str):
    """Ask for the instrument and date on an intermediate page, then act or refuse as a whole."""
    objects = list(queryset)
    problems: list[str] = []
    if "apply" in request.POST:
        form = form_class(request.POST, user=request.user)
        if form.is_valid():
            plan = planner(form, objects)
            instrument = form.cleaned_data["instrument"]
            title = f"{verb.capitalize()} {len(objects)} substance(s) ({instrument})"
            if form.cleaned_data["save_as"] == "apply":
                problems = apply_now(plan, actor=services.Actor.of(request.user, via="admin"))
                if not problems:
                    modeladmin.message_user(
                        request,
                        f"{verb.capitalize()}: {len(plan.steps)} substance(s) done, "
                        f"from {form.effective_date}.",
                        messages.SUCCESS,
                    )
                    return None
            else:
                changeset, problems = save_to_draft(plan, form, user=request.user, title=title)
                if not problems:
                    modeladmin.message_user(
                        request,
                        f"{len(plan.steps)} step(s) saved in the draft “{changeset}”. Nothing is "
                        "public until a reviewer publishes it.",
                        messages.SUCCESS,
                    )
                    return None
    else:
        form = form_class(user=request.user)
    context = {
        **modeladmin.admin_site.each_context(request),
        "title": f"{verb.capitalize()} substances",
        "verb": verb,
        "objects": objects,
        "form": form,
        "problems": problems,
        "action": request.POST.get("action"),
        "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        "opts": modeladmin.model._meta,
        "media": modeladmin.media + form.media,
    }
    return TemplateResponse(request, "admin/registry/legal_action.html", context)


def list_on_schedule(modeladmin, request, queryset):
    return _legal_action(
        modeladmin, request, queryset, form_class=ListForm, planner=plan_list, verb="list"
    )


list_on_schedule.short_description = "List on a schedule (from a date, under an instrument)"
list_on_schedule.allowed_permissions = ("legal_act",)


def delist_from_schedule(modeladmin, request, queryset):
    return _legal_action(
        modeladmin, request, queryset, form_class=DelistForm, planner=plan_delist, verb="delist"
    )


delist_from_schedule.short_description = "Delist from a schedule (from a date, under an instrument)"
delist_from_schedule.allowed_permissions = ("legal_act",)


def move_to_schedule(modeladmin, request, queryset):
    return _legal_action(
        modeladmin,
        request,
        queryset,
        form_class=RescheduleForm,
        planner=plan_reschedule,
        verb="reschedule",
    )


move_to_schedule.short_description = "Reschedule to another list (on a date, under an instrument)"
move_to_schedule.allowed_permissions = ("legal_act",)
