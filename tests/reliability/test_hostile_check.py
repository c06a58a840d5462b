"""Hostile structures against the check: every search and the whole request have a time budget.

Dense lattices of sulfur (six neighbours an atom) cost seconds in the screening fingerprint and
make harmless-looking rules explode; a thousand of them in one anonymous request used to take a
worker past its timeout. Class rules are tried at save on worst-case molecules of every element
that builds chains and lattices, not on carbon only.
"""

import itertools
import os
import signal
import threading
import time

import pytest
from django.core.exceptions import ValidationError
from rdkit import Chem

from registry import check, services
from registry.check import check_items
from substances import chemistry, matching
from substances.models import ClassRule
from tests.factories import InstrumentFactory, ListingFactory, ScheduleFactory


def _sulfur_tree(depth: int) -> str:
    if depth == 0:
        return "[#16]"
    return "[#16]" + "".join(f"(~{_sulfur_tree(depth - 1)})" for _ in range(3))


# A ternary tree of sulfur with one fluorine leaf: harmless on carbon (the first atom never
# matches), so the old carbon-only stress test accepted it; on a sulfur tree every permutation
# of the branches is tried before the fluorine is missed.
_TREE = _sulfur_tree(3)
SULFUR_TREE_TO_FLUORINE = (
    _TREE[: _TREE.rindex("[#16]")] + "[#9]" + _TREE[_TREE.rindex("[#16]") + 5 :]
)
# Cheap on every ordinary molecule (milliseconds), explosive on a dense lattice.
SULFUR_CHAIN_TO_END = "[#16]" + "~[#16]" * 8 + "~[#16;D1]"


# A small, ordinary molecule (40 atoms, four neighbours at most, no ring): a ternary tree of
# selenium. No worst-case molecule of the stress test is made of selenium, so a rule asking for
# the same tree with one charged leaf passes the save-time test, yet on this molecule every
# permutation of the branches is tried before the charged leaf is missed: hours, unguarded.
SELENIUM_TREE = (
    "[SeH][Se]([SeH])([SeH])[Se]([SeH]([Se]([Se]([SeH])([SeH])[SeH])([Se]([SeH])([SeH])[SeH])"
    "[Se]([SeH])([SeH])[SeH])[Se]([Se]([SeH])([SeH])[SeH])([Se]([SeH])([SeH])[SeH])[Se]([SeH])"
    "([SeH])[SeH])([Se]([SeH])([SeH])[SeH])[Se]([SeH])([SeH])[SeH]"
)
_SE_TREE = _sulfur_tree(3).replace("#16", "#34")
SELENIUM_TREE_TO_CATION = (
    _SE_TREE[: _SE_TREE.rindex("[#34]")] + "[#34;+1]" + _SE_TREE[_SE_TREE.rindex("[#34]") + 5 :]
)


def cubic_lattice_smiles(element: int, a: int, b: int, c: int) -> str:
    """A lattice where every inner atom has six neighbours (valid for hypervalent sulfur)."""
    rw = Chem.RWMol()
    index = {}
    for point in itertools.product(range(a), range(b), range(c)):
        index[point] = rw.AddAtom(Chem.Atom(element))
    for (x, y, z), i in index.items():
        for dx, dy, dz in ((1, 0, 0), (0, 1, 0), (0, 0, 1)):
            j = index.get((x + dx, y + dy, z + dz))
            if j is not None:
                rw.AddBond(i, j, Chem.BondType.SINGLE)
    mol = rw.GetMol()
    mol.UpdatePropertyCache(strict=False)
    return Chem.MolToSmiles(mol)


SULFUR_LATTICE_100 = cubic_lattice_smiles(16, 5, 5, 4)  # 916 characters, as reported
SULFUR_LATTICE_60 = cubic_lattice_smiles(16, 3, 4, 5)


def test_the_reported_lattice_is_what_it_should_be():
    assert len(SULFUR_LATTICE_100) == 916
    mol = chemistry.standardize(chemistry.parse_smiles(SULFUR_LATTICE_60))
    assert mol.GetNumHeavyAtoms() == 60 and not chemistry.is_ordinary(mol)


def test_a_dense_lattice_gets_no_screening_fingerprint():
    mol = chemistry.standardize(chemistry.parse_smiles(SULFUR_LATTICE_100))
    # CPU time, not the clock: a loaded machine stretches the one, not the other. The
    # fingerprint itself takes about a second of CPU time.
    started = time.thread_time()
    assert chemistry.screen_of(mol) is None
    assert time.thread_time() - started < 0.1


def test_a_small_dense_lattice_is_searched_under_the_guard():
    mol = chemistry.standardize(chemistry.parse_smiles(SULFUR_LATTICE_60))
    query = chemistry.compile_smarts(SULFUR_CHAIN_TO_END)
    # The whole search takes about 0.25 s on a quiet machine: a limit well under it, so that the
    # outcome does not depend on how busy the machine is.
    started = time.perf_counter()
    with pytest.raises(chemistry.MatchTimeout, match="stopped after"):
        chemistry.find_match(mol, query, time_limit=0.05)
    assert time.perf_counter() - started < 2


def test_a_search_past_its_deadline_does_not_start():
    mol = chemistry.standardize(chemistry.parse_smiles(SULFUR_LATTICE_60))
    query = chemistry.compile_smarts(SULFUR_CHAIN_TO_END)
    with pytest.raises(chemistry.MatchTimeout, match="not started"):
        chemistry.find_match(mol, query, deadline=time.monotonic() - 1)


def test_the_stress_test_tries_every_element_and_ring_system():
    molecules = chemistry._stress_molecules()
    elements = {atom.GetSymbol() for mol in molecules for atom in mol.GetAtoms()}
    assert {"C", "N", "Si", "P", "S"} <= elements
    assert all(chemistry.is_ordinary(mol) for mol in molecules)
    assert max(mol.GetRingInfo().NumRings() for mol in molecules) >= 8  # fused and bridged


def test_a_rule_that_explodes_on_sulfur_only_is_refused():
    problem = matching.check_rule(matching.RuleSpec("S", "include", SULFUR_TREE_TO_FLUORINE))
    assert problem is not None and "S first" in problem


@pytest.mark.django_db
def test_a_curator_cannot_save_a_rule_that_explodes_on_sulfur(actor):
    cls = services.define_class(
        actor=actor,
        uid="class-hostile",
        name_en="Hostile",
        rules=[{"label": "ok", "kind": "include", "smarts": "c1ccccc1"}],
    )
    rule = ClassRule(
        substance_class=cls, label="sulfur", kind="include", smarts=SULFUR_TREE_TO_FLUORINE
    )
    with pytest.raises(ValidationError, match="pattern too expensive"):
        rule.full_clean()


@pytest.fixture
def hostile_class(actor):
    """A class in force whose stored rule passes the stress test but explodes on dense sulfur.

    Stored without the save-time check (as a rule saved before it was tightened would be), so
    that a busy machine cannot make this fixture fail.
    """
    schedule = ScheduleFactory(code="NM")
    cls = services.define_class(
        actor=actor,
        uid="class-sulfur",
        name_en="Sulfur chains",
        rules=[{"label": "chain", "kind": "include", "smarts": "c1ccccc1"}],
    )
    ClassRule.objects.filter(substance_class=cls).update(smarts=SULFUR_CHAIN_TO_END)
    ListingFactory(
        schedule=schedule,
        substance=None,
        substance_class=cls,
        listed_by=InstrumentFactory(jurisdiction=schedule.jurisdiction),
    )
    return cls


@pytest.mark.django_db
def test_a_thousand_hostile_items_are_answered_within_the_request_budget(
    hostile_class, monkeypatch
):
    monkeypatch.setattr(check, "REQUEST_TIME_BUDGET_SECONDS", 2.0)
    monkeypatch.setattr(check, "ITEM_TIME_BUDGET_SECONDS", 0.2)
    started = time.perf_counter()
    results = check_items([SULFUR_LATTICE_100] * 1000)
    elapsed = time.perf_counter() - started
    print(f"\n1,000 hostile items: {elapsed:.1f} s with a 2 s budget")
    assert elapsed < 6
    assert len(results) == 1000
    # No verdict is claimed for a structure whose rules were not applied.
    assert {r.status for r in results} == {"unknown"}
    assert all("time" in r.reason for r in results)
    assert "could not all be applied in time" in results[0].reason
    assert "time budget was spent" in results[-1].reason


@pytest.mark.django_db
def test_ordinary_items_are_judged_as_before_beside_hostile_ones(hostile_class, monkeypatch):
    # The lattice's search ends in about 0.25 s on a quiet machine: a budget well under that
    # makes the outcome the same on any machine (the ordinary items take microseconds).
    monkeypatch.setattr(check, "ITEM_TIME_BUDGET_SECONDS", 0.05)
    results = check_items(["CCCC", "C1CSSSC1", SULFUR_LATTICE_60])
    assert [r.status for r in results] == ["not_controlled", "not_controlled", "unknown"]


def test_a_small_molecule_is_searched_under_the_guard_too():
    mol = chemistry.standardize(chemistry.parse_smiles(SELENIUM_TREE))
    assert mol.GetNumHeavyAtoms() == 40 and chemistry.is_ordinary(mol)
    query = chemistry.compile_smarts(SELENIUM_TREE_TO_CATION)
    assert matching.check_rule(matching.RuleSpec("Se", "include", SELENIUM_TREE_TO_CATION)) is None
    started = time.monotonic()
    with pytest.raises(chemistry.MatchTimeout, match="stopped after"):
        chemistry.find_match(mol, query, time_limit=0.3)
    assert time.monotonic() - started < 2


def test_stopping_a_search_leaves_ctrl_c_as_it_was():
    before = signal.getsignal(signal.SIGINT)
    mol = chemistry.standardize(chemistry.parse_smiles(SELENIUM_TREE))
    with pytest.raises(chemistry.MatchTimeout):
        chemistry.find_match(mol, chemistry.compile_smarts(SELENIUM_TREE_TO_CATION), time_limit=0.1)
    assert signal.getsignal(signal.SIGINT) is before
    # Ignored while checks run, given back a moment after the last one.
    _wait_until_idle()
    if (
        threading.current_thread() is threading.main_thread()
        and before is signal.default_int_handler
    ):
        # A search in another thread (one left running by an earlier test) ignores SIGINT
        # again while it runs, and for a second after; that alone is a reason to try again.
        for _ in range(3):
            _wait_until_idle()
            try:
                os.kill(os.getpid(), signal.SIGINT)
                time.sleep(1)
            except KeyboardInterrupt:
                break
            others = [t.name for t in threading.enumerate() if t is not threading.main_thread()]
            assert not chemistry._INTERRUPTER.idle, f"SIGINT lost with no search; threads {others}"
        else:
            pytest.fail("SIGINT stayed ignored: searches kept starting in other threads")


def _wait_until_idle() -> None:
    waited = time.monotonic()
    while not chemistry._INTERRUPTER.idle and time.monotonic() - waited < 10:
        time.sleep(0.05)
    assert chemistry._INTERRUPTER.idle


def test_a_search_stopped_for_one_thread_is_not_a_miss_for_another():
    """The stop signal reaches every search in the process: the others search again."""
    hostile = chemistry.standardize(chemistry.parse_smiles(SELENIUM_TREE))
    trap = chemistry.compile_smarts(SELENIUM_TREE_TO_CATION)
    fentanyl = chemistry.standardize("CCC(=O)N(c1ccccc1)C1CCN(CCc2ccccc2)CC1")
    anilide = chemistry.compile_smarts("O=C-N(-c1ccccc1)-C1CCN(-[!#1])CC1")
    stopped, misses, done = [], [], threading.Event()

    def hostile_searches():
        for _ in range(5):
            try:
                chemistry.find_match(hostile, trap, time_limit=0.05)
            except chemistry.MatchTimeout:
                stopped.append(1)
        done.set()

    thread = threading.Thread(target=hostile_searches)
    thread.start()
    rounds = 0
    while not done.is_set():
        rounds += 1
        if chemistry.find_match(fentanyl, anilide, time_limit=5) is None:
            misses.append(rounds)
    thread.join()
    assert len(stopped) == 5 and rounds > 10
    assert misses == []


@pytest.fixture
def selenium_class(actor):
    """A class in force whose rule passes the save-time test and explodes on a small molecule."""
    schedule = ScheduleFactory(code="NM")
    cls = services.define_class(
        actor=actor,
        uid="class-selenium",
        name_en="Selenium trees",
        rules=[
            {"label": "anilide", "kind": "include", "smarts": "O=C-N(-c1ccccc1)-C1CCN(-[!#1])CC1"},
            {"label": "tree", "kind": "include", "smarts": SELENIUM_TREE_TO_CATION},
        ],
    )
    ListingFactory(
        schedule=schedule,
        substance=None,
        substance_class=cls,
        listed_by=InstrumentFactory(jurisdiction=schedule.jurisdiction),
    )
    return cls


@pytest.mark.django_db
def test_a_small_molecule_with_a_pathological_rule_is_unknown_not_a_hang(selenium_class):
    started = time.monotonic()
    results = check_items([SELENIUM_TREE, "CCC(=O)N(c1ccccc1)C1CCN(CCc2ccccc2)CC1", "CCCC"])
    assert time.monotonic() - started < 5  # one item budget (0.5 s) and the rest
    assert [r.status for r in results] == ["unknown", "controlled", "not_controlled"]
    assert "could not all be applied in time" in results[0].reason
    assert "tree" in results[0].reason
