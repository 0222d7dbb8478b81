"""The one helper for parallel work: forked workers, results in order, a tick per item, errors carried back."""
import os
import threading

import pytest

from portal import forked


def where(lock, factor, item):
    """What a worker reports: its process and the item's result (the lock cannot be pickled: it came by fork)."""
    with lock:
        return os.getpid(), item * factor


def test_items_run_on_forked_workers_in_order_with_a_tick_each():
    ticks = []
    done = forked.run(where, range(40), shared=(threading.Lock(), 3), workers=2, tick=lambda: ticks.append(1))
    assert [result for _pid, result in done] == [i * 3 for i in range(40)]
    assert len(ticks) == 40
    assert os.getpid() not in {pid for pid, _result in done}


@pytest.mark.parametrize("workers, least", [(1, 2), (2, 50)])
def test_one_worker_or_few_items_run_here(workers, least):
    ticks = []
    done = forked.run(where, range(10), shared=(threading.Lock(), 2), workers=workers, least=least,
                      tick=lambda: ticks.append(1))
    assert done == [(os.getpid(), i * 2) for i in range(10)] and len(ticks) == 10


def refuse_seven(item):
    if item == 7:
        raise ValueError(f"item {item} refused")
    return item


@pytest.mark.parametrize("workers", [1, 2])
def test_a_workers_exception_is_raised_in_the_caller(workers):
    with pytest.raises(ValueError, match="item 7 refused"):
        forked.run(refuse_seven, range(20), workers=workers)
    assert forked.run(refuse_seven, range(5), workers=workers) == [0, 1, 2, 3, 4]
