"""llama.cpp's thread count: one fewer while tokens come several times slower than at all cores, all
cores again later (the timings are synthetic: the decision, not the speed, is tested)."""

from __future__ import annotations

from rag.answer.generation import Threads


def _tokens(threads: Threads, seconds: float, count: int, clock: float) -> list[int]:
    return [threads.token(seconds, clock + i * seconds) for i in range(count)]


def test_a_collapse_lowers_the_threads_and_a_later_call_tries_all_cores_again():
    threads = Threads(2)
    assert threads.start(0.0) == 2
    assert _tokens(threads, 0.08, 5, 0.0) == [2] * 5  # the baseline: 80 ms a token on 2 threads
    assert _tokens(threads, 0.10, 5, 1.0) == [2] * 5  # noise is not a collapse
    assert _tokens(threads, 1.2, 3, 2.0) == [2, 1, 1]  # two of the last three slow: a core is taken
    assert _tokens(threads, 0.14, 6, 6.0) == [1] * 6  # one thread is slower than two, never lower
    assert threads.start(30.0) == 1  # the other process may still run
    assert threads.start(6.0 + Threads.RETRY_S + 1) == 2


def test_no_baseline_no_change_and_one_core_stays_one():
    threads = Threads(2)
    threads.start(0.0)
    assert _tokens(threads, 1.0, 2, 0.0) == [2, 2]  # fewer than three tokens: nothing is known yet
    single = Threads(1)
    assert single.start(0.0) == 1 and _tokens(single, 0.05, 3, 0.0) + _tokens(single, 5.0, 3, 1.0) == [1] * 6
