"""The REST API: /api/v1/ (resources, feed, export, statistics) and its documentation."""

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView
from rest_framework.routers import SimpleRouter

from registry.api import check, jobs, views
from registry.api.schema import SCHEMA_SETTINGS

app_name = "api"

router = SimpleRouter()
router.register("substances", views.SubstanceViewSet, basename="substance")
router.register("names", views.NameViewSet, basename="name")
router.register("relations", views.RelationViewSet, basename="relation")
router.register("classes", views.SubstanceClassViewSet, basename="class")
router.register("jurisdictions", views.JurisdictionViewSet, basename="jurisdiction")
router.register("schedules", views.ScheduleViewSet, basename="schedule")
router.register("instruments", views.InstrumentViewSet, basename="instrument")
router.register("listings", views.ListingViewSet, basename="listing")
router.register("precursor-uses", views.PrecursorUseViewSet, basename="precursor-use")

v1 = [
    path("", views.RootView.as_view(), name="root"),
    path("changes/", views.ChangesView.as_view(), name="changes"),
    path("export/", views.ExportView.as_view(), name="export"),
    path("stats/", views.StatsView.as_view(), name="stats"),
    path("check/", check.CheckView.as_view(), name="check"),
    path("drafts/", views.DraftListView.as_view(), name="drafts"),
    path("drafts/<int:pk>/", views.DraftDetailView.as_view(), name="draft"),
    path("drafts/<int:pk>/publish/", views.DraftPublishView.as_view(), name="draft-publish"),
    path("drafts/<int:pk>/discard/", views.DraftDiscardView.as_view(), name="draft-discard"),
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
    path("diff/", views.DiffView.as_view(), name="diff"),
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
