"""A law that treats a substance close to a listed one as listed: the US Federal Analogue Act.

21 U.S.C. 813 treats a "controlled substance analogue", to the extent intended for human
consumption, as a controlled substance in schedule I; 802(32) defines one as a substance whose
chemical structure is substantially similar to that of a controlled substance in schedule I or
II and whose effect on the central nervous system is substantially similar or greater (or is
represented or intended to be), other than a controlled substance or an approved drug. Whether
a structure is substantially similar, whether its effect is, and whether it is meant for human
consumption are questions for a court: no structure answers them, so the check never turns a
verdict on them.

What the check does is tell. A structure the registry holds no record of, that no list of a
jurisdiction reaches, and that is close to a substance on a list the jurisdiction's analogue
law measures against
(`Schedule.analogue_basis`), is answered not controlled there, with the law
(`Jurisdiction.analogue_law`) and the closest listed substance said beside it: a user is not
left to read "not controlled" as a clearance the law does not give. Close means a likeness
(`substances.chemistry.likeness`) of at least `CLOSE`; the value is the registry's, chosen on
known analogues and ordinary medicines, and is no legal test. A record is never told: the
registry holds it by name (an approved drug such as naloxone, which the US schedules name only
to leave it out, would otherwise be "close to oxymorphone").
"""

from __future__ import annotations

import datetime
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field

from registry.models import Jurisdiction, Listing
from registry.verdicts import AnalogueRef
from substances import chemistry
from substances.models import Substance

CLOSE = 0.6
"""The likeness (Tanimoto similarity of Morgan fingerprints, radius 2) from which a structure is
told it is close to a listed substance. Chosen on two sets a review drew: of 139 designer drugs
no list names, 108 reach it (120 reach 0.5); of 214 ordinary medicines, 10 (23 reach 0.5)."""


@dataclass(frozen=True)
class CloseTo:
    """The listed substance a structure is closest to in one jurisdiction with an analogue law
    (`law`: the jurisdiction): its record, the list it is on (`schedule`: its code) and how
    alike the two are."""

    law: Jurisdiction
    substance: Substance
    schedule: str
    likeness: float

    def ref(self) -> AnalogueRef:
        return AnalogueRef(
            self.substance.uid,
            self.substance.name_en,
            self.substance.name_zh,
            self.schedule,
            round(self.likeness, 2),
        )


_FINGERPRINTS: dict[str, dict[int, object]] = {}
_LOCK = threading.Lock()


def _fingerprints(version: str) -> dict[int, object]:
    """The fingerprints of every drawn record ever on a list an analogue law measures against,
    by pk: worked out once per registry version, by one thread while the others wait."""
    with _LOCK:
        found = _FINGERPRINTS.get(version)
        if found is None:
            found = {}
            rows = (
                Substance.objects.filter(listings__schedule__analogue_basis=True)
                .exclude(smiles="")
                .values_list("pk", "smiles")
                .distinct()
            )
            for pk, smiles in rows:
                try:
                    found[pk] = chemistry.likeness_fingerprint(chemistry.parse_smiles(smiles))
                except chemistry.ChemistryError:
                    continue
            _FINGERPRINTS.clear()
            _FINGERPRINTS[version] = found
    return found


def analogue_laws(
    on: datetime.date, jurisdictions: Iterable[Jurisdiction]
) -> dict[str, Jurisdiction]:
    """Those of `jurisdictions` whose analogue law is in force on `on`, by code."""
    return {
        j.code: j
        for j in jurisdictions
        if j.analogue_law and j.analogue_law_from is not None and j.analogue_law_from <= on
    }


@dataclass(frozen=True)
class Basis:
    """The substances the analogue laws of some jurisdictions measure against on one day: per
    listing in force, (substance pk, list code, jurisdiction code), with their fingerprints in
    the same order. Read once for a whole check; `closest_listed` compares each structure."""

    laws: dict[str, Jurisdiction]
    rows: tuple[tuple[int, str, str], ...]
    fingerprints: tuple[object, ...]
    # The records named so far, read once each for the whole check.
    records: dict[int, Substance] = field(default_factory=dict, compare=False)


def basis(on: datetime.date, laws: dict[str, Jurisdiction], version: str) -> Basis:
    """The `Basis` of `laws` on `on` (registry `version`: the fingerprints are kept per version)."""
    if not laws:
        return Basis(laws, (), ())
    listed = (
        Listing.objects.in_force(on=on)
        .filter(
            schedule__analogue_basis=True,
            schedule__jurisdiction__code__in=list(laws),
            substance__isnull=False,
        )
        .values_list("substance_id", "schedule__code", "schedule__jurisdiction__code")
        .order_by("substance_id", "schedule__code")
    )
    table = _fingerprints(version)
    rows = tuple(row for row in listed if row[0] in table)
    return Basis(laws, rows, tuple(table[pk] for pk, _schedule, _code in rows))


def closest_listed(mol: chemistry.Mol, found_in: Basis) -> dict[str, CloseTo]:
    """Per jurisdiction code of the basis, the substance it measures against that `mol` is
    closest to, where it is close (`CLOSE`)."""
    if not found_in.rows:
        return {}
    alike = chemistry.likeness(chemistry.likeness_fingerprint(mol), found_in.fingerprints)
    best: dict[str, tuple[float, int, str]] = {}
    for (pk, schedule, code), value in zip(found_in.rows, alike, strict=True):
        if value < CLOSE:
            continue
        if code not in best or (value, -pk) > (best[code][0], -best[code][1]):
            best[code] = (value, pk, schedule)
    if not best:
        return {}
    records = found_in.records
    missing = {pk for _value, pk, _schedule in best.values()} - set(records)
    if missing:
        records.update(Substance.objects.in_bulk(missing))
    laws = found_in.laws
    return {
        code: CloseTo(laws[code], records[pk], schedule, value)
        for code, (value, pk, schedule) in best.items()
    }
