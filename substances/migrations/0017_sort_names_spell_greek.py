"""Sort names with their Greek letters spelled out (`substances.normalize.sort_name`).

"β-Hydroxythiofentanyl" was ordered after every Latin name; it now sits among the "beta-"
names. Only the rows whose names hold one of the letters are read and written again.
"""

from functools import reduce
from operator import or_

from django.db import migrations
from django.db.models import Q

from substances.normalize import GREEK_LETTERS, sort_name


def refill(apps, schema_editor):
    alias = schema_editor.connection.alias
    substance = apps.get_model("substances", "Substance")
    holding = reduce(
        or_,
        (Q(name_en__contains=ch) | Q(name_zh__contains=ch) for ch in GREEK_LETTERS),
    )
    rows = substance.objects.using(alias).filter(holding).values_list("id", "name_en", "name_zh")
    for pk, name_en, name_zh in rows.iterator():
        substance.objects.using(alias).filter(pk=pk).update(
            sort_name_en=sort_name(name_en), sort_name_zh=sort_name(name_zh or name_en)
        )


class Migration(migrations.Migration):
    dependencies = [
        ("substances", "0016_class_condition"),
    ]

    operations = [
        migrations.RunPython(refill, migrations.RunPython.noop, elidable=True),
    ]
