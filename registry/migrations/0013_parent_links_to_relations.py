"""Data migration: the overloaded `Substance.parent` becomes typed relations, and the lists'
footnotes become coverage data.

Each parent link is classified from the data: a preparation's link to its active ingredient is
`contains`; a form's link is `form_of`, a salt when the two share the standardized parent's
InChIKey but not their own, else a stereoisomer (every form entered so far is one). Members of the
precursor annex's ephedrine-type group, which only their notes tied to the group, become
`member_of` it, and records without a structure that stand for a group entry become kind `group`.
Each schedule's coverage is set from its footnotes (the same words as the fixtures), and each
relation and coverage change is written to the change feed, as every write is.
"""

from django.db import migrations
from django.db.models import Max
from django.utils import timezone

# The lists' footnotes, read as coverage (see fixtures/README.md and schedules.csv).
SCHEDULE_COVERAGE = {
    "cn-narcotic-2013": ["salts", "stereoisomers", "esters", "ethers", "preparations"],
    "cn-psychotropic-1-2013": ["salts", "stereoisomers", "preparations"],
    "cn-psychotropic-2-2013": ["salts", "stereoisomers", "preparations"],
    "cn-nonmedical-2015": ["salts", "stereoisomers"],
    "cn-narcotic-2025": ["salts", "stereoisomers", "esters", "ethers", "preparations"],
    "cn-psychotropic-1-2025": ["salts", "stereoisomers", "preparations"],
    "cn-psychotropic-2-2025": ["salts", "stereoisomers", "preparations"],
    "cn-nonmedical-2025": ["salts", "stereoisomers"],
    "cn-precursor-1": ["salts"],
    "cn-precursor-2": ["salts"],
    "cn-precursor-3": [],
    "un-1988-table-1": ["salts"],
    "un-1988-table-2": ["salts"],
    "un-1961-schedule-i": ["salts", "stereoisomers", "esters", "ethers"],
    "un-1961-schedule-ii": ["salts", "stereoisomers"],
    "un-1961-schedule-iii": [],
    "un-1961-schedule-iv": ["salts", "stereoisomers", "esters", "ethers"],
    "un-1971-schedule-i": ["salts", "stereoisomers"],
    "un-1971-schedule-ii": ["salts"],
    "un-1971-schedule-iii": ["salts"],
    "un-1971-schedule-iv": ["salts"],
    "us-schedule-i": ["salts", "stereoisomers", "esters", "ethers"],
    "us-schedule-ii": ["salts", "stereoisomers", "esters", "ethers"],
    "us-schedule-iii": ["salts", "stereoisomers"],
    "us-schedule-iv": ["salts", "stereoisomers"],
    "us-schedule-v": ["salts"],
    "us-list-i": ["salts", "stereoisomers"],
    "us-list-ii": ["salts"],
}
# Pharmaceutical-type precursors (marked * in the 2005 annex): raw material and single-ingredient
# preparations.
PHARMACEUTICAL_PRECURSORS = {"lysergic-acid", "ergotamine", "ergometrine", "ephedrine-type-substances"}
GROUP = "ephedrine-type-substances"
# The same words as fixtures/relations.csv, so that loading the fixtures afterwards finds them equal.
SOURCES = {
    "contains": "the list entry names its active ingredient",
    "form_of": "same constitution as the racemate or parent entry (InChIKey first block)",
    "member_of": (
        "precursor annex (State Council Decree 445, 2005), Category I item 12: 麻黄素、伪麻黄素、"
        "消旋麻黄素、去甲麻黄素、甲基麻黄素、麻黄浸膏、麻黄浸膏粉等麻黄素类物质 (shared data "
        "china_precursors/precursors.csv rows 12.1-12.7)"
    ),
}


def _seq(Change):
    return (Change.objects.aggregate(last=Max("seq"))["last"] or 0) + 1


def _relation_data(r):
    return {
        "uid": r.uid,
        "subject": r.subject.uid,
        "kind": r.kind,
        "form": r.form,
        "target": r.target.uid,
        "source": r.source,
        "notes": r.notes,
    }


def _schedule_data(s):
    return {
        "uid": s.uid,
        "jurisdiction": s.jurisdiction.uid,
        "code": s.code,
        "name": s.name,
        "name_zh": s.name_zh,
        "regime": s.regime,
        "sort_order": s.sort_order,
        "description": s.description,
        "coverage": s.coverage,
    }


def _listing_data(o):
    return {
        "uid": o.uid,
        "schedule": o.schedule.uid,
        "substance": o.substance.uid if o.substance_id else None,
        "class": o.substance_class.uid if o.substance_class_id else None,
        "effective_from": o.effective_from.isoformat(),
        "effective_to": o.effective_to.isoformat() if o.effective_to else None,
        "listed_by": o.listed_by.uid,
        "ended_by": o.ended_by.uid if o.ended_by_id else None,
        "item_number": o.item_number,
        "scope": o.scope,
        "coverage": o.coverage,
        "produced_in_china": o.produced_in_china,
        "attributes": o.attributes,
        "source": o.source,
        "notes": o.notes,
    }


def forwards(apps, schema_editor):
    Substance = apps.get_model("substances", "Substance")
    Relation = apps.get_model("substances", "Relation")
    Schedule = apps.get_model("registry", "Schedule")
    Listing = apps.get_model("registry", "Listing")
    Change = apps.get_model("registry", "Change")
    now = timezone.now()
    changes = []

    def changed(resource_type, uid, data):
        changes.append((resource_type, uid, data))

    made = []
    for s in Substance.objects.filter(parent__isnull=False).select_related("parent"):
        p = s.parent
        if s.kind == "preparation":
            kind, form = "contains", ""
        elif s.parent_key and s.parent_key == p.parent_key and s.inchikey != p.inchikey:
            kind, form = "form_of", "salt"
        else:
            kind, form = "form_of", "stereoisomer"
        made.append(
            Relation(
                uid=f"r-{s.uid}-{kind.replace('_', '-')}-{p.uid}"[:100],
                subject=s,
                kind=kind,
                form=form,
                target=p,
                source=SOURCES[kind],
            )
        )
    group = Substance.objects.filter(uid=GROUP).first()
    if group is not None:
        for s in Substance.objects.filter(notes__contains="member of item 12"):
            made.append(
                Relation(
                    uid=f"r-{s.uid}-member-of-{GROUP}",
                    subject=s,
                    kind="member_of",
                    target=group,
                    source=SOURCES["member_of"],
                )
            )
    for r in made:
        r.save()
        changed("relation", r.uid, _relation_data(r))
    for s in Substance.objects.filter(smiles="", structure_source__startswith="none: group"):
        s.kind = "group"
        s.save(update_fields=["kind"])
    for schedule in Schedule.objects.select_related("jurisdiction"):
        if schedule.uid in SCHEDULE_COVERAGE:
            schedule.coverage = SCHEDULE_COVERAGE[schedule.uid]
            schedule.save(update_fields=["coverage"])
            changed("schedule", schedule.uid, _schedule_data(schedule))
    related = ("schedule", "substance", "substance_class", "listed_by", "ended_by")
    overrides = []
    for listing in Listing.objects.select_related(*related).filter(
        schedule__uid="cn-nonmedical-2025", substance__isnull=False
    ):
        if listing.item_number.isdigit() and 305 <= int(listing.item_number) <= 396:
            listing.coverage = ["salts", "stereoisomers", "esters", "ethers"]
            overrides.append(listing)
    for listing in Listing.objects.select_related(*related).filter(
        schedule__uid="cn-precursor-1", substance__uid__in=PHARMACEUTICAL_PRECURSORS
    ):
        listing.coverage = ["salts", "preparations"]
        overrides.append(listing)
    for listing in overrides:
        listing.save(update_fields=["coverage"])
        changed("listing", listing.uid, _listing_data(listing))
    seq = _seq(Change)
    Change.objects.bulk_create(
        Change(
            seq=seq + n,
            at=now,
            action="created" if rtype == "relation" else "updated",
            resource_type=rtype,
            uid=uid,
            data=data,
            actor_name="migration: typed relations",
            via="migration",
        )
        for n, (rtype, uid, data) in enumerate(changes)
    )


class Migration(migrations.Migration):
    dependencies = [
        ("registry", "0012_coverage"),
        ("substances", "0004_relations"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
