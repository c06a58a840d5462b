"""The public site: search, substances, lists, instruments, classes, the check and the changes."""

from django.urls import path

from registry.web import check_upload, feeds, views

app_name = "web"
urlpatterns = [
    path("", views.home, name="home"),
    path("search/", views.search_page, name="search"),
    path("substances/<str:uid>/", views.substance_detail, name="substance"),
    path("substances/<str:uid>/mol/", views.substance_mol, name="substance-mol"),
    path("substances/<str:uid>/sdf/", views.substance_sdf, name="substance-sdf"),
    path("schedules/", views.schedule_list, name="schedules"),
    path("schedules/<str:uid>/", views.schedule_detail, name="schedule"),
    path("schedules/<str:uid>/csv/", views.schedule_csv, name="schedule-csv"),
    path("schedules/<str:uid>/xlsx/", views.schedule_xlsx, name="schedule-xlsx"),
    path("instruments/", views.instrument_list, name="instruments"),
    path("instruments/<str:uid>/", views.instrument_detail, name="instrument"),
    path("classes/", views.class_list, name="classes"),
    path("classes/<str:uid>/", views.class_detail, name="class"),
    path("check/", views.check_page, name="check"),
    path("check/upload/", check_upload.check_upload, name="check-upload"),
    path("check/upload/<str:key>.csv", check_upload.check_upload_csv, name="check-upload-csv"),
    path("schedules/<str:uid>/feed/", feeds.ScheduleFeed(), name="schedule-feed"),
    path("diff/", views.diff_page, name="diff"),
    path("new/", views.whats_new, name="whats-new"),
    path("changes/", views.changes, name="changes"),
    path("changes/feed/", feeds.ChangesFeed(), name="changes-feed"),
    path("favicon.ico", views.favicon, name="favicon"),
]
