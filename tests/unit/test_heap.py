"""Pausing the cyclic garbage collector around bulk work."""

import gc
import threading
from collections.abc import Iterator

import pytest

from nexus.core.heap import collector_paused


@pytest.fixture(autouse=True)
def collector_on() -> Iterator[None]:
    gc.enable()
    yield
    gc.enable()


def test_a_pause_stops_the_collector_and_starts_it_again() -> None:
    with collector_paused():
        assert not gc.isenabled()
    assert gc.isenabled()


def test_overlapping_pauses_resume_only_after_the_last() -> None:
    first, second = collector_paused(), collector_paused()
    first.__enter__()
    second.__enter__()
    first.__exit__(None, None, None)  # the first ends while the second still runs
    assert not gc.isenabled()
    second.__exit__(None, None, None)
    assert gc.isenabled()


def test_a_collector_that_was_off_stays_off() -> None:
    gc.disable()
    with collector_paused():
        pass
    assert not gc.isenabled()


def test_a_pause_ends_when_its_work_fails() -> None:
    with pytest.raises(ValueError, match="bulk work failed"), collector_paused():
        raise ValueError("bulk work failed")
    assert gc.isenabled()


def test_pauses_from_threads_share_one_count() -> None:
    started, release = threading.Barrier(5), threading.Event()

    def work() -> None:
        with collector_paused():
            started.wait()
            release.wait()

    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    started.wait()
    assert not gc.isenabled()
    release.set()
    for thread in threads:
        thread.join()
    assert gc.isenabled()


def test_pauses_that_never_all_end_still_collect_now_and_then(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    clock = [100.0]
    monkeypatch.setattr("nexus.core.heap.time.monotonic", lambda: clock[0])
    collected: list[int] = []
    monkeypatch.setattr(
        "nexus.core.heap.gc.collect", lambda generation=2: collected.append(generation) or 0
    )
    steady = collector_paused()
    steady.__enter__()  # one pause always running, as under steady batch load
    for _ in range(3):
        with collector_paused():
            clock[0] += 1.5
    assert collected == [0]  # once past 2 s, not at every pause's end
    assert not gc.isenabled()
    steady.__exit__(None, None, None)
    assert gc.isenabled()
