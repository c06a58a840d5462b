"""registry.cache.derived: a value derived from the registry is computed once at a time per
worker, however many threads miss it together, and kept under its key."""

import threading
import time

import pytest
from django.core.cache import cache

from registry.cache import _deriving, derived


def test_threads_missing_the_same_key_compute_it_once():
    cache.delete("test:derived:once")
    computed = []
    start = threading.Barrier(8)
    answers = []

    def compute():
        computed.append(threading.get_ident())
        time.sleep(0.2)  # long enough for every other thread to arrive and wait
        return {"ranked": [3, 1, 2]}

    def ask():
        start.wait()
        answers.append(derived("test:derived:once", compute))

    threads = [threading.Thread(target=ask) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(computed) == 1
    assert answers == [{"ranked": [3, 1, 2]}] * 8
    assert cache.get("test:derived:once") == {"ranked": [3, 1, 2]}
    assert "test:derived:once" not in _deriving  # nothing left behind


def test_other_keys_are_not_held_up():
    cache.delete_many(["test:derived:slow", "test:derived:quick"])
    started, finished = threading.Event(), []

    def slow():
        started.set()
        time.sleep(0.5)
        return "slow"

    thread = threading.Thread(target=lambda: finished.append(derived("test:derived:slow", slow)))
    thread.start()
    started.wait()
    began = time.perf_counter()
    assert derived("test:derived:quick", lambda: "quick") == "quick"
    assert time.perf_counter() - began < 0.4
    thread.join()
    assert finished == ["slow"]


def test_a_failed_computation_leaves_the_next_asker_to_try_again():
    cache.delete("test:derived:fails")

    def fails():
        raise RuntimeError("the database went away")

    with pytest.raises(RuntimeError):
        derived("test:derived:fails", fails)
    assert "test:derived:fails" not in _deriving
    assert derived("test:derived:fails", lambda: "recovered") == "recovered"
