"""The REST API: /api/v1/ (resources, feed, export, statistics) and its documentation."""

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView
from rest_framework.routers import SimpleRouter

from registry.api import check, drafts, feed, jobs, reports, resources
from registry.api.schema import SCHEMA_SETTINGS

app_name = "api"

router = SimpleRouter()
router.register("substances", resources.SubstanceViewSet, basename="substance")
router.register("names", resources.NameViewSet, basename="name")
router.register("relations", resources.RelationViewSet, basename="relation")
router.register("classes", resources.SubstanceClassViewSet, basename="class")
router.register("jurisdictions", resources.JurisdictionViewSet, basename="jurisdiction")
router.register("schedules", resources.ScheduleViewSet, basename="schedule")
router.register("instruments", resources.InstrumentViewSet, basename="instrument")
router.register("listings", resources.ListingViewSet, basename="listing")
router.register("precursor-uses", resources.PrecursorUseViewSet, basename="precursor-use")

v1 = [
    path("", resources.RootView.as_view(), name="root"),
    path("changes/", feed.ChangesView.as_view(), name="changes"),
    path("export/", feed.ExportView.as_view(), name="export"),
    path("stats/", reports.StatsView.as_view(), name="stats"),
    path("check/", check.CheckView.as_view(), name="check"),
    path("drafts/", drafts.DraftListView.as_view(), name="drafts"),
    path("drafts/<int:pk>/", drafts.DraftDetailView.as_view(), name="draft"),
    path("drafts/<int:pk>/publish/", drafts.DraftPublishView.as_view(), name="draft-publish"),
    path("drafts/<int:pk>/discard/", drafts.DraftDiscardView.as_view(), name="draft-discard"),
    path("check/jobs/", jobs.CheckJobListView.as_view(), name="check-jobs"),
    path("check/jobs/<str:uid>/", jobs.CheckJobDetailView.as_view(), name="check-job"),
    path(
        "check/jobs/<str:uid>/cancel/", jobs.CheckJobCancelView.as_view(), name="check-job-cancel"
    ),
    path(
        "check/jobs/<str:uid>/results.csv",
        jobs.CheckJobResultsCSVView.as_view(),
        name="check-job-results-csv",
    ),
    path(
        "check/jobs/<str:uid>/results.ndjson",
        jobs.CheckJobResultsNDJSONView.as_view(),
        name="check-job-results-ndjson",
    ),
    path("diff/", reports.DiffView.as_view(), name="diff"),
    *router.urls,
]

urlpatterns = [
    path("v1/", include(v1)),
    path(
        "schema/",
        SpectacularAPIView.as_view(custom_settings=SCHEMA_SETTINGS),
        name="schema",
    ),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api:schema"), name="docs"),
    path("redoc/", SpectacularRedocView.as_view(url_name="api:schema"), name="redoc"),
]
