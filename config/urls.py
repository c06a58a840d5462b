"""Root URLs: the admin, the REST API and the public site."""

from django.conf import settings
from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.urls import include, path

from registry.health import health

urlpatterns = [
    path("health/", health, name="health"),
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/", include("registry.api.urls")),
]
urlpatterns += i18n_patterns(
    path("", include("registry.web.urls")),
    prefix_default_language=False,
)

if settings.DEBUG:  # pragma: no cover - local development only
    from django.contrib.staticfiles.urls import staticfiles_urlpatterns

    urlpatterns += staticfiles_urlpatterns()
