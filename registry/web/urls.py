"""The public site."""

app_name = "web"
urlpatterns: list = []
