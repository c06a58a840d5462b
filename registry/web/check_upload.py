"""The check page's file upload: a file of compounds in, the verdicts on the page and as CSV.

The file is read by the check jobs' readers and answered by their screen and CSV writer
(`registry.jobs`), so the page, the API's jobs and `manage.py check_structures` read the same
files the same way and write the same columns.

The page answers while the visitor waits, within the API check's bounds: at most
`CheckUploadForm.MAX_RECORDS` records (the check's batch limit) in a file of at most
`CheckUploadForm.MAX_BYTES`, in the request's time budget (records left unexamined when it is
spent are `unknown`, and say so). A larger file is refused with a pointer to the check jobs
rather than turned into a job here: a job belongs to an account, whose quota bounds what it may
put on the workers and the storage, and the public page has no accounts.

The verdicts can be downloaded two ways, both without JavaScript: "Check and download CSV"
answers the upload with the file itself, and the page of verdicts links to a copy of its CSV
kept in the cache for `KEPT_SECONDS` under a random key (a key nobody else can guess, so one
visitor's verdicts are not another's to read).
"""

import io
import os
import secrets

from django.core.cache import cache
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods

from registry import jobs
from registry.check import REQUEST_TIME_BUDGET_SECONDS
from registry.web.forms import CheckForm, CheckUploadForm

KEPT_SECONDS = 3600
CACHE_PREFIX = "check-upload:"


def _csv_body(rows: list[dict]) -> bytes:
    """The verdicts as UTF-8 CSV with a byte-order mark (so spreadsheets read the Chinese)."""
    out = io.StringIO()
    out.write("\ufeff")
    jobs.write_csv(out, rows)
    return out.getvalue().encode("utf-8")


def _download_name(file_name: str, on) -> str:
    stem = os.path.splitext(os.path.basename(file_name or ""))[0] or "compounds"
    safe = "".join(c if c.isascii() and (c.isalnum() or c in "-_.") else "-" for c in stem)
    return f"{safe[:80]}-verdicts-{on.isoformat()}.csv"


def _csv_response(body: bytes, name: str) -> HttpResponse:
    response = HttpResponse(body, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["Cache-Control"] = "private, no-store"
    return response


@require_http_methods(["GET", "POST"])
def check_upload(request):
    """Check an uploaded file; show the verdicts, or send them as CSV ("output=csv"). Asked
    for with GET (a bookmarked or reloaded result), it sends the reader to the upload form."""
    if request.method == "GET":
        return redirect(reverse("web:check") + "#upload-heading", permanent=False)
    form = CheckUploadForm(request.POST, request.FILES)
    if form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            records = jobs.read_upload(
                upload,
                upload.name,
                limit=form.MAX_RECORDS,
                column=form.cleaned_data["column"] or None,
            )
        except jobs.JobInputError as exc:
            form.add_error(exc.field if exc.field in form.fields else "file", str(exc))
        else:
            on = form.chosen_date()
            rows = jobs.screen(records, on, None, time_budget=REQUEST_TIME_BUDGET_SECONDS)
            body = _csv_body(rows)
            name = _download_name(upload.name, on)
            if request.POST.get("output") == "csv":
                return _csv_response(body, name)
            key = secrets.token_urlsafe(18)
            cache.set(CACHE_PREFIX + key, {"body": body, "name": name}, KEPT_SECONDS)
            context = {
                "upload_form": form,
                "file_name": upload.name,
                "on": on,
                "rows": rows,
                "summary": jobs.Summary.of(row["status"] for row in rows),
                "download_url": reverse("web:check-upload-csv", kwargs={"key": key}),
                "kept_minutes": KEPT_SECONDS // 60,
            }
            return render(request, "web/check_upload.html", context)
    context = {"form": CheckForm(), "upload_form": form, "results": None}
    return render(request, "web/check.html", context, status=400)


@require_GET
def check_upload_csv(request, key: str):
    """The CSV of verdicts a visitor's upload produced, while it is kept."""
    kept = cache.get(CACHE_PREFIX + key) if len(key) <= 64 else None
    if kept is None:
        raise Http404("These verdicts are no longer kept; check the file again.")
    return _csv_response(kept["body"], kept["name"])
