"""Benchmark: classify 10,000 structures through the check service and through a bare loop.

The bare loop is the floor any implementation pays: parse each SMILES with RDKit and run every
compiled class-rule pattern over it. The check service does more per compound (standardizes it,
identifies it against the registry by InChIKey, reads listings, reports atoms) and should still
keep up, thanks to batching and a cheap prefilter. Both run in this one process on the same
structures and the same compiled patterns; the figure to quote is their ratio.

Run: .venv/bin/python bench/bench_check.py [--n 10000]
(RDKit is imported here directly for the baseline only; the application itself reaches RDKit
through substances/chemistry.py.)
"""

import argparse
import csv
import datetime
import random
import time

from _setup import ROOT, django_with_real_data


def structures(n: int) -> list[str]:
    """n SMILES: the registry's own structures and the labelled test set, then analogues made
    by putting F, Cl, CH3 or OCH3 on aromatic CH positions (new compounds, as seized)."""
    from rdkit import Chem, RDLogger

    from substances.models import Substance

    RDLogger.DisableLog("rdApp.*")
    bases = list(Substance.objects.exclude(smiles="").values_list("smiles", flat=True))
    labelled = ROOT / "tests" / "data" / "class_labelled_set.csv"
    if labelled.exists():
        with labelled.open(encoding="utf-8") as handle:
            bases += [row["smiles"] for row in csv.DictReader(handle) if row.get("smiles")]
    out: list[str] = list(dict.fromkeys(bases))
    rng = random.Random(20261128)
    mols = [m for m in (Chem.MolFromSmiles(s) for s in out) if m is not None]
    substituents = ["F", "Cl", "C", "OC"]
    while len(out) < n:
        mol = rng.choice(mols)
        sites = [
            a.GetIdx()
            for a in mol.GetAtoms()
            if a.GetIsAromatic() and a.GetSymbol() == "C" and a.GetTotalNumHs() == 1
        ]
        if not sites:
            continue
        rw = Chem.RWMol(mol)
        site = rng.choice(sites)
        frag = Chem.MolFromSmiles(rng.choice(substituents))
        offset = rw.GetNumAtoms()
        for atom in frag.GetAtoms():
            rw.AddAtom(Chem.Atom(atom.GetAtomicNum()))
        for bond in frag.GetBonds():
            rw.AddBond(
                bond.GetBeginAtomIdx() + offset, bond.GetEndAtomIdx() + offset, bond.GetBondType()
            )
        rw.AddBond(site, offset, Chem.BondType.SINGLE)
        try:
            Chem.SanitizeMol(rw)
        except Exception:
            continue
        out.append(Chem.MolToSmiles(rw))
    return out[:n]


def compiled_classes(on: datetime.date):
    from registry.check import _classes_in_force, _listings_in_force

    _, class_listings = _listings_in_force(on, "CN")
    return [compiled for _, compiled in _classes_in_force(class_listings)[0]]


def bare_loop(smiles: list[str], classes) -> tuple[float, int]:
    from rdkit import Chem

    patterns = [(c.uid, r.spec.kind, r.query.pattern) for c in classes for r in c.rules]
    started = time.perf_counter()
    members = 0
    for text in smiles:
        mol = Chem.MolFromSmiles(text)
        if mol is None:
            continue
        hits = {(uid, kind) for uid, kind, p in patterns if mol.HasSubstructMatch(p)}
        members += any(kind == "include" for _, kind in hits)
    return time.perf_counter() - started, members


def classification_stage(smiles: list[str], classes) -> tuple[float, int]:
    """The service's class-matching step alone (parse, standardize, screen, rules)."""
    from substances import chemistry, matching

    started = time.perf_counter()
    members = 0
    for text in smiles:
        try:
            members += bool(matching.match_classes(chemistry.parse_structure(text), classes))
        except chemistry.ChemistryError:
            continue
    return time.perf_counter() - started, members


def service(smiles: list[str], on: datetime.date) -> tuple[float, int, dict]:
    from registry.check import MAX_ITEMS, check_items

    started = time.perf_counter()
    statuses: dict[str, int] = {}
    class_members = 0
    for start in range(0, len(smiles), MAX_ITEMS):
        for result in check_items(smiles[start : start + MAX_ITEMS], on=on, jurisdiction="CN"):
            statuses[result.status] = statuses.get(result.status, 0) + 1
            class_members += any(m["basis"] == "class" for m in result.matches)
    return time.perf_counter() - started, class_members, statuses


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=10_000, help="number of structures")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds (best counts)")
    args = parser.parse_args()
    django_with_real_data("check")
    on = datetime.date.today()
    smiles = structures(args.n)
    classes = compiled_classes(on)
    print(
        f"{len(smiles)} structures, {len(classes)} classes in force, "
        f"{sum(len(c.rules) for c in classes)} rule patterns"
    )
    # Warm both paths once (imports, caches), then measure.
    bare_loop(smiles[:200], classes)
    service(smiles[:200], on)
    # Interleaved rounds, best of each: a busy machine slows whichever runs at a bad moment.
    bare_seconds = stage_seconds = svc_seconds = float("inf")
    for _ in range(args.rounds):
        seconds, bare_members = bare_loop(smiles, classes)
        bare_seconds = min(bare_seconds, seconds)
        seconds, stage_members = classification_stage(smiles, classes)
        stage_seconds = min(stage_seconds, seconds)
        seconds, svc_members, statuses = service(smiles, on)
        svc_seconds = min(svc_seconds, seconds)
    n = len(smiles)
    bare_rate, stage_rate, svc_rate = n / bare_seconds, n / stage_seconds, n / svc_seconds
    print(
        f"bare RDKit loop      : {bare_seconds:7.2f} s  {bare_rate:8.0f} structures/s  "
        f"({bare_members} matched an include pattern)"
    )
    print(
        f"classification stage : {stage_seconds:7.2f} s  {stage_rate:8.0f} structures/s  "
        f"({stage_members} class members)"
    )
    print(
        f"check service        : {svc_seconds:7.2f} s  {svc_rate:8.0f} structures/s  "
        f"({svc_members} class members; {statuses})"
    )
    print(f"ratio classification stage / bare loop: {stage_rate / bare_rate:.2f}")
    print(f"ratio whole check service / bare loop:  {svc_rate / bare_rate:.2f}")


if __name__ == "__main__":
    main()
