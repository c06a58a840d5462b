"""The admin page that imports an announcement: upload, preview, confirm.

The preview shows every row as new, existing (and how it was matched) or in error, with the
names that will be added; the curator confirms, and the rows are analysed again against the
registry as it is then (someone may have saved meanwhile) before anything is written.
"""

import secrets
import time

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.views import View

from registry import importing, services
from registry.admin.forms import ImportForm
from substances import chemistry

_SESSION_PREFIX = "registry-import-"


def _drawing(item: importing.ItemAnalysis) -> str:
    if not item.structure:
        return ""
    try:
        return chemistry.depict_svg(chemistry.standardize(item.structure), width=150, height=100)
    except chemistry.ChemistryError:
        return ""


class ImportAnnouncementView(View):
    model_admin = None
    template_form = "admin/registry/import_form.html"
    template_preview = "admin/registry/import_preview.html"
    permissions = ("substances.add_substance", "substances.add_name", "registry.add_listing")

    def dispatch(self, request, *args, **kwargs):
        if not request.user.has_perms(self.permissions):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def _context(self, request, **extra):
        opts = self.model_admin.model._meta
        return {
            **self.model_admin.admin_site.each_context(request),
            "opts": opts,
            "title": "Import an announcement",
            **extra,
        }

    def get(self, request):
        return TemplateResponse(
            request, self.template_form, self._context(request, form=ImportForm())
        )

    def post(self, request):
        form = ImportForm(request.POST, request.FILES)
        token = request.POST.get("token", "")
        if not form.is_valid():
            return TemplateResponse(request, self.template_form, self._context(request, form=form))
        if "confirm" in request.POST and token:
            stored = request.session.get(_SESSION_PREFIX + token)
            if stored is None:
                form.add_error("sheet", "This preview has expired: upload the file again.")
                return TemplateResponse(
                    request, self.template_form, self._context(request, form=form)
                )
            sheet = importing.Sheet(
                rows=[importing.SheetRow(line, values) for line, values in stored["rows"]],
                ignored_columns=stored["ignored"],
            )
            return self._confirm(request, form, sheet, token, stored["filename"])
        upload = form.cleaned_data.get("sheet")
        if upload is None:
            form.add_error("sheet", "Choose the file of the announcement's items.")
            return TemplateResponse(request, self.template_form, self._context(request, form=form))
        try:
            sheet = importing.read_sheet(upload.name, upload.read(importing.MAX_BYTES + 1))
        except importing.SheetError as exc:
            form.add_error("sheet", str(exc))
            return TemplateResponse(request, self.template_form, self._context(request, form=form))
        token = secrets.token_urlsafe(12)
        request.session[_SESSION_PREFIX + token] = {
            "filename": upload.name,
            "rows": [(row.line, row.values) for row in sheet.rows],
            "ignored": sheet.ignored_columns,
        }
        return self._preview(request, form, sheet, token, upload.name)

    def _analyse(self, form, sheet):
        data = form.cleaned_data
        return importing.analyse(
            sheet,
            schedule=data["schedule"],
            instrument=data["instrument"],
            effective_from=data["effective_on"],
        )

    def _preview(self, request, form, sheet, token, filename, problems=(), analysis=None):
        analysis = analysis or self._analyse(form, sheet)
        rows = [(item, _drawing(item)) for item in analysis.items]
        context = self._context(
            request,
            form=form,
            analysis=analysis,
            rows=rows,
            token=token,
            filename=filename,
            ignored_columns=sheet.ignored_columns,
            problems=problems,
            counts={
                status: analysis.count(status)
                for status in (importing.NEW, importing.EXISTING, importing.ERROR)
            },
            title=f"Import {filename}: preview",
        )
        return TemplateResponse(request, self.template_preview, context)

    def _confirm(self, request, form, sheet, token, filename):
        analysis = self._analyse(form, sheet)
        if not analysis.ok:
            return self._preview(request, form, sheet, token, filename, analysis=analysis)
        started = time.perf_counter()
        try:
            result = importing.write(
                analysis,
                actor=services.Actor.of(request.user, via="admin"),
                draft_author=request.user if form.cleaned_data["as_draft"] else None,
            )
        except ValidationError as exc:
            return self._preview(
                request, form, sheet, token, filename, problems=exc.messages, analysis=analysis
            )
        elapsed = time.perf_counter() - started
        request.session.pop(_SESSION_PREFIX + token, None)
        where = (
            f"held in the draft “{result.changeset}” for a reviewer"
            if result.changeset
            else f"on {analysis.schedule.code} from {analysis.effective_from}"
        )
        self.model_admin.message_user(
            request,
            f"Imported {filename}: {len(result.created)} new substance(s), "
            f"{result.names} name(s) added, {result.listed} listing(s) {where} "
            f"({elapsed:.1f} s).",
            messages.SUCCESS,
        )
        return HttpResponseRedirect(reverse("admin:substances_substance_changelist"))
