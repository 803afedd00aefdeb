"""llama.cpp's thread count: one fewer while all cores are slower than that (another process holds a
core), all cores again later (the timings are synthetic: the decision, not the speed, is tested)."""

from __future__ import annotations

from rag.answer.generation import Threads


def _tokens(threads: Threads, seconds: float, count: int, clock: float) -> list[int]:
    return [threads.token(seconds, clock + i * seconds) for i in range(count)]


def test_one_thread_fewer_is_the_yardstick_and_a_collapse_lowers_the_threads():
    threads = Threads(2)
    assert threads.start(0.0) == 1  # the first tokens ever are timed on one thread fewer
    assert _tokens(threads, 0.14, 3, 0.0) == [1, 1, 2]  # measured: now all cores
    assert _tokens(threads, 0.08, 5, 1.0) == [2] * 5  # faster than one thread: stays
    assert _tokens(threads, 0.12, 5, 2.0) == [2] * 5  # noise under the yardstick is not a collapse
    assert _tokens(threads, 1.2, 3, 3.0) == [2, 1, 1]  # two of the last three slower: a core is taken
    assert threads.start(30.0) == 1  # the other process may still run
    assert threads.start(5.0 + Threads.RETRY_S) == 2


def test_a_machine_busy_from_the_start_is_noticed():
    """The yardstick does not depend on an idle moment: one thread is as fast busy as idle."""
    threads = Threads(2)
    threads.start(0.0)
    _tokens(threads, 0.14, 3, 0.0)
    assert _tokens(threads, 1.0, 3, 1.0) == [2, 2, 1]  # three tokens on all cores, then one fewer


def test_one_core_stays_one():
    single = Threads(1)
    assert single.start(0.0) == 1 and _tokens(single, 0.05, 3, 0.0) + _tokens(single, 5.0, 3, 1.0) == [1] * 6
