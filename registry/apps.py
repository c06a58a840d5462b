from django.apps import AppConfig


class RegistryConfig(AppConfig):
    """How a thing is CONTROLLED: schedules, instruments, listings and the change feed."""

    name = "registry"
    verbose_name = "Registry"
