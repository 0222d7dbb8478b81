"""The one way the portal runs work in parallel: a function over items, on forked processes.

``run(work, items, shared=..., workers=..., least=..., tick=...)`` is ``[work(*shared, item) for item in items]``:

- the results come back in the order of ``items``, whichever process finished first;
- ``tick()`` is called in the calling process once per finished item (a progress bar's step);
- an exception raised by ``work`` in a worker is raised here, and the other workers are stopped;
- ``shared`` (an app, an instance path, a secret...) and the items reach the workers through the fork, never
  pickled; only each item's index goes to a worker and only its result comes back, pickled;
- it runs in this process, one item after another, with fewer than two ``workers``, fewer than ``least`` items,
  where processes cannot be forked (not on Linux or macOS), or inside a worker (which may not fork again).

Workers are forked from the caller, so they see everything it had loaded and opened (an app, parsed stores, a
Frozen-Flask freezer); what a worker changes in memory stays in that worker.
"""
from __future__ import annotations

import itertools
import multiprocessing
from typing import Any, Callable, Sequence, TypeVar

Result = TypeVar("Result")

# The runs under way in this process: job number -> (work, shared, items). Forked workers inherit it; the only
# module-level state of parallel work in the portal.
_JOBS: dict[int, tuple[Callable, tuple, Sequence]] = {}
_numbers = itertools.count()


def run(work: Callable[..., Result], items: Sequence, shared: tuple = (), workers: int = 2, least: int = 2,
        tick: Callable[[], None] = lambda: None) -> list[Result]:
    """``[work(*shared, item) for item in items]``, on ``workers`` forked processes when there are ``least`` items
    or more (see the module's docstring for what is guaranteed)."""
    items = list(items)
    if workers < 2 or len(items) < max(2, least) or not _can_fork():
        results = []
        for item in items:
            results.append(work(*shared, item))
            tick()
        return results
    job = next(_numbers)
    _JOBS[job] = (work, shared, items)
    results: list = [None] * len(items)
    chunk = max(1, min(8, len(items) // (workers * 16)))  # fewer round trips, and still an even share at the end
    try:
        with multiprocessing.get_context("fork").Pool(min(workers, len(items))) as pool:
            for index, result in pool.imap_unordered(_run_one, ((job, i) for i in range(len(items))), chunk):
                results[index] = result
                tick()
    finally:
        del _JOBS[job]
    return results


def _can_fork() -> bool:
    return "fork" in multiprocessing.get_all_start_methods() and not multiprocessing.current_process().daemon


def _run_one(task: tuple[int, int]) -> tuple[int, Any]:
    """In a worker: one item of a job, found by its index in what the fork brought."""
    job, index = task
    work, shared, items = _JOBS[job]
    return index, work(*shared, items[index])
