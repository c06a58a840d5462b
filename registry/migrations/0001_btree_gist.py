# Written by hand: the listings' exclusion constraints compare plain columns with "=" inside a
# GiST index, which needs PostgreSQL's btree_gist extension. On other databases this is a no-op.
from django.contrib.postgres.operations import BtreeGistExtension
from django.db import migrations


class Migration(migrations.Migration):
    initial = True

    dependencies = []

    operations = [BtreeGistExtension()]
