"""Check jobs through the API: screen a whole file, follow the job, read its verdicts.

POST /api/v1/check/jobs/                    a file in, 202 and the job (Location: its URL)
GET  /api/v1/check/jobs/                    the caller's jobs
GET  /api/v1/check/jobs/<uid>/              status, counts, the first bad records
POST /api/v1/check/jobs/<uid>/cancel/       stop it
GET  /api/v1/check/jobs/<uid>/results.csv   when done: one row per input record, streamed
GET  /api/v1/check/jobs/<uid>/results.ndjson

Jobs need a token and belong to its account; each account has a quota (settings.CHECK_JOB_*).
The work itself is registry/jobs.py's.
"""

import csv
import io
import json

from django.db import transaction
from django.http import StreamingHttpResponse
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import exceptions, permissions, serializers, status
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response
from rest_framework.reverse import reverse

from registry import jobs
from registry.api.base import RegistryAPIView
from registry.api.serializers import DayField, ModelSerializer, refuse_repeated
from registry.models import CheckJob, Jurisdiction


class QuotaExceeded(exceptions.APIException):
    status_code = status.HTTP_429_TOO_MANY_REQUESTS
    default_detail = "Your quota of check jobs is used up."
    default_code = "quota_exceeded"


class Gone(exceptions.APIException):
    status_code = status.HTTP_410_GONE
    default_detail = "This job's results are no longer kept."
    default_code = "gone"


class CheckJobRequestSerializer(serializers.Serializer):
    file = serializers.FileField(
        help_text=(
            "The compounds: a SMILES file (one a line, an optional id after white space), an "
            "SD file (.sdf or .sd; the id is each record's title line) or a CSV file (.csv) with "
            "an `id` column and a `structure` or `smiles` column. Up to a million records."
        )
    )
    on = DayField(
        required=False,
        input_formats=["%Y-%m-%d"],
        help_text="The date the question is about, YYYY-MM-DD; today when left out.",
    )
    jurisdiction = serializers.CharField(
        required=False,
        allow_blank=True,
        help_text="Jurisdiction code, e.g. CN; every jurisdiction when left out.",
    )
    column = serializers.CharField(
        required=False, help_text="CSV only: the structure column, if not structure or smiles."
    )
    id_column = serializers.CharField(
        required=False, help_text="CSV only: the identifier column (default id)."
    )

    def validate_jurisdiction(self, value):
        if not value:
            return None
        match = Jurisdiction.objects.filter(code__iexact=value.strip()).first()
        if match is None:
            raise serializers.ValidationError(f"No jurisdiction has the code {value}.")
        return match.code


class CheckJobErrorSerializer(serializers.Serializer):
    record = serializers.IntegerField(help_text="Line (SMILES, CSV) or record number (SDF).")
    id = serializers.CharField()
    error = serializers.CharField()


class CheckJobSerializer(ModelSerializer):
    url = serializers.SerializerMethodField()
    jurisdiction = serializers.SerializerMethodField()
    format = serializers.CharField(source="file_format")
    errors = serializers.SerializerMethodField()
    results = serializers.SerializerMethodField(
        help_text="When the job is done: its verdicts as CSV (null before)."
    )
    results_ndjson = serializers.SerializerMethodField(
        help_text="When the job is done: its verdicts as NDJSON, one JSON object a line."
    )
    cancel = serializers.SerializerMethodField()

    class Meta:
        model = CheckJob
        fields = [
            "uid",
            "url",
            "status",
            "on",
            "jurisdiction",
            "file_name",
            "format",
            "total",
            "done",
            "error_count",
            "errors",
            "failure",
            "created_at",
            "started_at",
            "finished_at",
            "expires_at",
            "results",
            "results_ndjson",
            "cancel",
        ]

    def _url(self, name, job):
        return reverse(name, kwargs={"uid": job.uid}, request=self.context.get("request"))

    def get_url(self, job) -> str:
        return self._url("api:check-job", job)

    def get_jurisdiction(self, job) -> str | None:
        return job.jurisdiction or None

    @extend_schema_field(CheckJobErrorSerializer(many=True))
    def get_errors(self, job) -> list[dict]:
        return jobs.job_errors(job)

    def get_results(self, job) -> str | None:
        return self._url("api:check-job-results-csv", job) if job.status == "done" else None

    def get_results_ndjson(self, job) -> str | None:
        return self._url("api:check-job-results-ndjson", job) if job.status == "done" else None

    def get_cancel(self, job) -> str:
        return self._url("api:check-job-cancel", job)


def _own_job(request, uid: str) -> CheckJob:
    job = CheckJob.objects.filter(uid=uid, owner=request.user).first()
    if job is None:
        raise exceptions.NotFound("No job of yours has this id.")
    return job


class JobView(RegistryAPIView):
    permission_classes = [permissions.IsAuthenticated]
    changes_nothing = True  # a job screens, it writes nothing of the registry: read tokens may
    conditional = False


@extend_schema(
    summary="Screen a whole file of compounds as a job",
    description=(
        "Upload a file (multipart, field `file`); the registry answers 202 with the job at once "
        "and checks the records in chunks on its workers. Follow the job's `url` until its "
        "`status` is `done`, then read `results` (CSV) or `results_ndjson`. A bad record gets "
        "the verdict `invalid` and is listed in `errors` with its line; it never fails the job. "
        "Needs a token; an account may run `CHECK_JOB_MAX_ACTIVE` jobs at once and screen "
        "`CHECK_JOB_DAILY_RECORDS` records a day (429 beyond)."
    ),
    request={"multipart/form-data": CheckJobRequestSerializer},
    responses={
        202: CheckJobSerializer,
        400: OpenApiResponse(description="No file, an empty one, or a bad field (named)."),
        429: OpenApiResponse(description="The account's quota of jobs is used up."),
    },
)
class CheckJobListView(JobView):
    parser_classes = [MultiPartParser]

    def post(self, request):
        unknown = sorted(set(request.data) - set(CheckJobRequestSerializer().fields))
        if unknown:
            raise serializers.ValidationError({name: ["Unknown field."] for name in unknown})
        refuse_repeated(request.data)
        query = CheckJobRequestSerializer(data=request.data)
        query.is_valid(raise_exception=True)
        data = query.validated_data
        upload = data["file"]
        fmt = jobs.file_format(upload.name)
        if fmt != CheckJob.Format.CSV:
            named = [name for name in ("column", "id_column") if data.get(name)]
            if named:
                raise serializers.ValidationError(
                    {
                        name: [f"CSV only: {upload.name} is read as {fmt}, which has no columns."]
                        for name in named
                    }
                )
        try:
            # Not in a transaction: the split takes seconds on a large file, and on SQLite a
            # transaction would hold the write lock all along. The job's row is written last.
            job = jobs.create_job(
                owner=request.user,
                upload=upload.file,
                file_name=upload.name,
                on=data.get("on") or timezone.localdate(),
                jurisdiction=data.get("jurisdiction"),
                column=data.get("column"),
                id_column=data.get("id_column") or None,
            )
            transaction.on_commit(lambda: jobs.dispatch(job))
            job.refresh_from_db()
        except jobs.JobInputError as exc:
            raise serializers.ValidationError({exc.field: [str(exc)]}) from exc
        except jobs.QuotaExceeded as exc:
            raise QuotaExceeded(str(exc)) from exc
        body = CheckJobSerializer(job, context={"request": request}).data
        return Response(body, status=status.HTTP_202_ACCEPTED, headers={"Location": body["url"]})

    @extend_schema(
        summary="Your check jobs, newest first (the last 100)",
        request=None,
        responses={200: CheckJobSerializer(many=True)},
    )
    def get(self, request):
        mine = CheckJob.objects.filter(owner=request.user)[:100]
        return Response(CheckJobSerializer(mine, many=True, context={"request": request}).data)


@extend_schema(summary="A check job: its status, counts and first bad records")
class CheckJobDetailView(JobView):
    @extend_schema(responses={200: CheckJobSerializer})
    def get(self, request, uid: str):
        job = _own_job(request, uid)
        return Response(CheckJobSerializer(job, context={"request": request}).data)


@extend_schema(
    summary="Cancel a check job",
    description="A queued or running job stops; chunks already answered stay readable.",
    request=None,
    responses={200: CheckJobSerializer},
)
class CheckJobCancelView(JobView):
    def post(self, request, uid: str):
        job = jobs.cancel_job(_own_job(request, uid))
        return Response(CheckJobSerializer(job, context={"request": request}).data)


class _ResultsView(JobView):
    read_in_snapshot = False
    media_type = ""

    def get(self, request, uid: str):
        job = _own_job(request, uid)
        if job.status != CheckJob.Status.DONE:
            if job.expires_at and job.expires_at <= timezone.now():
                raise Gone()
            raise exceptions.NotFound(f"The job is {job.status}; its results come when it is done.")
        if job.expires_at and job.expires_at <= timezone.now():
            raise Gone()
        response = StreamingHttpResponse(self.render(job), content_type=self.media_type)
        extension = self.media_type.split("/")[-1].split(";")[0].replace("x-", "")
        response["Content-Disposition"] = f'attachment; filename="check-{job.uid}.{extension}"'
        return response


@extend_schema(
    summary="A done job's verdicts as CSV",
    description=(
        "One row per input record, in file order: record (line or SDF record number), id, "
        "input, status, reason, substance, matched_by, and the bases (listings; classes). "
        "A cell that a spreadsheet would read as a formula starts with an apostrophe."
    ),
    responses={(200, "text/csv"): OpenApiTypes.STR, 404: None, 410: None},
)
class CheckJobResultsCSVView(_ResultsView):
    media_type = "text/csv; charset=utf-8"

    def render(self, job):
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(jobs.CSV_COLUMNS)
        for row in jobs.iter_results(job):
            writer.writerow(jobs.csv_cells(row))
            if buffer.tell() > 65536:
                yield buffer.getvalue()
                buffer.seek(0)
                buffer.truncate()
        yield buffer.getvalue()


@extend_schema(
    summary="A done job's verdicts as NDJSON",
    description=(
        "One JSON object a line, in file order: `record` and `id`, then the verdict as "
        "`POST /api/v1/check/` gives it."
    ),
    responses={(200, "application/x-ndjson"): OpenApiTypes.STR, 404: None, 410: None},
)
class CheckJobResultsNDJSONView(_ResultsView):
    media_type = "application/x-ndjson; charset=utf-8"

    def render(self, job):
        lines: list[str] = []
        for row in jobs.iter_results(job):
            lines.append(json.dumps(row, ensure_ascii=False) + "\n")
            if len(lines) >= 1000:
                yield "".join(lines)
                lines = []
        yield "".join(lines)
