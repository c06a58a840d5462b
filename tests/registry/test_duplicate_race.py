"""Two writers entering the same compound at the same moment: one record, one refusal."""

import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connections

from registry import services
from substances.models import Substance

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgres]

TRIALS = 20
WRITERS = 4


def _enter(smiles: str, index: int, barrier: threading.Barrier, outcomes: list) -> None:
    actor = services.Actor.system(f"writer-{index}")
    try:
        barrier.wait()
        services.create_substance(actor=actor, name_en=f"Race {smiles} {index}", smiles=smiles)
        outcomes.append("created")
    except ValidationError as exc:
        outcomes.append("refused" if "one record per compound" in str(exc) else repr(exc))
    except Exception as exc:  # pragma: no cover - reported by the assertion below
        outcomes.append(repr(exc))
    finally:
        connections.close_all()


def test_concurrent_entries_of_one_compound_leave_one_record(on_postgres):
    for trial in range(TRIALS):
        smiles = "C" * (8 + trial) + "OCCCl"
        barrier = threading.Barrier(WRITERS)
        outcomes: list[str] = []
        threads = [
            threading.Thread(target=_enter, args=(smiles, i, barrier, outcomes))
            for i in range(WRITERS)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert sorted(outcomes) == ["created"] + ["refused"] * (WRITERS - 1), (trial, outcomes)
        assert Substance.objects.filter(name_en__startswith=f"Race {smiles} ").count() == 1
