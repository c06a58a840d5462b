"""China's "produced in China" mark becomes a listing attribute like the US ones.

The column that only China's listings filled is moved into `attributes` (`produced_in_china`:
true; absent where the column was false) and dropped. The listings' public representation does
not change (it still says `produced_in_china`, read from the attribute), so the change feed needs
no rows. Reversed, the column is filled again from the attribute and the attribute removed.
"""

from django.db import migrations, models

BATCH = 2000


def mark_to_attribute(apps, schema_editor):
    Listing = apps.get_model("registry", "Listing")
    marked = Listing.objects.filter(produced_in_china=True).order_by("pk")
    batch = []
    for listing in marked.iterator(chunk_size=BATCH):
        listing.attributes = {**(listing.attributes or {}), "produced_in_china": True}
        batch.append(listing)
        if len(batch) == BATCH:
            Listing.objects.bulk_update(batch, ["attributes"])
            batch = []
    Listing.objects.bulk_update(batch, ["attributes"])


def attribute_to_mark(apps, schema_editor):
    Listing = apps.get_model("registry", "Listing")
    batch = []
    for listing in Listing.objects.order_by("pk").iterator(chunk_size=BATCH):
        attributes = dict(listing.attributes or {})
        if "produced_in_china" not in attributes:
            continue
        listing.produced_in_china = attributes.pop("produced_in_china") is True
        listing.attributes = attributes
        batch.append(listing)
        if len(batch) == BATCH:
            Listing.objects.bulk_update(batch, ["attributes", "produced_in_china"])
            batch = []
    Listing.objects.bulk_update(batch, ["attributes", "produced_in_china"])


class Migration(migrations.Migration):

    dependencies = [
        ('registry', '0016_instrument_effective_precision'),
    ]

    operations = [
        migrations.RunPython(mark_to_attribute, attribute_to_mark),
        migrations.RemoveField(
            model_name='listing',
            name='produced_in_china',
        ),
        migrations.AlterField(
            model_name='listing',
            name='attributes',
            field=models.JSONField(blank=True, default=dict, help_text="What the jurisdiction's list says of this entry besides its place, by name: produced_in_china (CN: true where the list marks the entry *), dea_code (US Administration Controlled Substances Code Number), narcotic (US: true or false), cfr_paragraph (US), ..."),
        ),
    ]
