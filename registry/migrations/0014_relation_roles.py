"""The Curator and Reviewer roles may keep relations between substances too (see registry.roles)."""

from django.apps import apps as global_apps
from django.contrib.auth.management import create_permissions
from django.contrib.contenttypes.management import create_contenttypes
from django.db import migrations

from registry.roles import grant_roles


def grant_again(apps, schema_editor):
    # Permissions are normally created after all migrations ran; the groups need them now.
    for label in ("substances", "registry"):
        app_config = global_apps.get_app_config(label)
        create_contenttypes(app_config, verbosity=0, apps=apps)
        create_permissions(app_config, verbosity=0, apps=apps)
    grant_roles(apps.get_model("auth", "Group"), apps.get_model("auth", "Permission"))


class Migration(migrations.Migration):
    dependencies = [
        ("registry", "0013_parent_links_to_relations"),
        ("substances", "0005_remove_parent"),
    ]

    operations = [migrations.RunPython(grant_again, migrations.RunPython.noop)]
