"""gatecore.cpu_sync on its own: phases of tasks inside one parallel region give the results of the serial loop,
with two threads, with one (the region's chunks then run one after another: a waiting chunk takes the other's
task instead of waiting for it forever) and with more tasks than threads."""
import numba
import numpy as np
import pytest
from numba import prange

from gatecore import cpu_common, cpu_sync


@numba.njit(parallel=True)
def _recurrence(h, steps, tasks):
    """h[k + 1, j] = 0.5 * sum(h[k]) / n + j: every unit of step k + 1 needs all of step k (a barrier per step),
    run as `tasks` tasks per step in one region."""
    n = h.shape[1]
    sync = cpu_sync.new_sync(tasks)
    for ch in prange(tasks):
        for k in range(steps):
            task = cpu_sync.next_task(sync, k, ch)
            while task >= 0:
                u0, u1 = cpu_common.chunk(task, tasks, n)
                total = 0.0
                for j in range(n):
                    total += h[k, j]
                for j in range(u0, u1):
                    h[k + 1, j] = 0.5 * total / n + j
                cpu_sync.finish(sync, k, task)
                task = cpu_sync.next_task(sync, k, ch)
    return sync


def _serial(h0, steps):
    h = np.zeros((steps + 1, h0.shape[0]))
    h[0] = h0
    for k in range(steps):
        h[k + 1] = 0.5 * h[k].sum() / h0.shape[0] + np.arange(h0.shape[0])
    return h


@pytest.mark.parametrize("threads, tasks", [(2, 2), (1, 2), (2, 3)])
def test_phases_give_the_serial_results(threads, tasks):
    saved = numba.get_num_threads()
    numba.set_num_threads(min(threads, numba.config.NUMBA_NUM_THREADS))
    try:
        steps, n = 40, 37
        h = np.zeros((steps + 1, n))
        h[0] = np.linspace(-1, 1, n)
        sync = _recurrence(h, steps, tasks)
    finally:
        numba.set_num_threads(saved)
    np.testing.assert_allclose(h, _serial(h[0], steps), rtol=1e-13)
    claims, done = sync[0::16], sync[8::16]
    assert (claims == steps).all() and (done == steps).all()      # every task of every phase claimed once, done
