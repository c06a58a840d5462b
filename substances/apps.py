from django.apps import AppConfig


class SubstancesConfig(AppConfig):
    """What a thing IS: chemical identity, names and structural class definitions."""

    name = "substances"
    verbose_name = "Substances"
