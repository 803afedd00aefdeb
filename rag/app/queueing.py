"""Queueing: answers taken strictly in arrival order, each run start to end in its own worker thread.

In-process llama.cpp is not re-entrant, so answers (and index rebuilds) wait their turn in a
`FairQueue`; a `Stream` hands an answer's events from its worker thread to whichever thread reads them.
"""

from __future__ import annotations

import contextlib
import queue
import threading

_DONE = object()


class FairQueue:
    """Turns granted strictly in the order tickets were taken: first come, first served.

    A plain lock wakes an arbitrary waiter, so under load a later question could overtake an
    earlier one; here the order is fixed when `ticket()` is called, whatever the scheduler does.
    """

    def __init__(self):
        self._cond = threading.Condition()
        self._issued = 0
        self._serving = 0

    def ticket(self) -> int:
        with self._cond:
            self._issued += 1
            return self._issued - 1

    def ahead_of(self, ticket: int) -> int:
        with self._cond:
            return max(0, ticket - self._serving)

    @contextlib.contextmanager
    def turn(self, ticket: int):
        """Wait for `ticket`'s turn; the turn passes on when the block ends, however it ends."""
        with self._cond:
            self._cond.wait_for(lambda: self._serving == ticket)
        try:
            yield
        finally:
            with self._cond:
                self._serving += 1
                self._cond.notify_all()


class Stream:
    """Items of `make()` produced in a worker thread started now, handed over a queue.

    The worker starts at once so that a turn taken in a FairQueue is always given back, even by a
    caller that never iterates (a client gone before its turn); closing or dropping this object
    tells the worker to stop at the next item.
    """

    def __init__(self, make):
        self._items: queue.Queue = queue.Queue()
        self._stop = threading.Event()
        self._done = False
        # The worker holds the queue and the event, not this object, so dropping it runs `close`.
        threading.Thread(target=_work, args=(make, self._items, self._stop), daemon=True,
                         name="answer").start()

    def __iter__(self):
        return self

    def __next__(self):
        item = _DONE if self._done else self._items.get()
        if item is _DONE:
            self._done = True
            raise StopIteration
        if isinstance(item, _Failure):
            self._done = True
            raise item.error
        return item

    def close(self) -> None:
        self._stop.set()

    __del__ = close


class _Failure:
    def __init__(self, error: BaseException):
        self.error = error


def _work(make, items: queue.Queue, stop: threading.Event) -> None:
    events = make(stop)
    try:
        for item in events:
            items.put(item)
            if stop.is_set():
                break
    except BaseException as exc:  # noqa: BLE001 - handed to the consumer, raised there
        items.put(_Failure(exc))
    finally:
        events.close()
        items.put(_DONE)
