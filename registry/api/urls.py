"""The REST API, /api/v1/."""

urlpatterns: list = []
