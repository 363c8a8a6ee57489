"""cpu_pool: memory is handed out again only once nothing refers to it, zeros are zeros, the limit holds, and
whole cpu calls that take every array from the pool give the same bits as calls that take none, with earlier
results kept alive across later calls."""
import ast
import os
import subprocess
import sys
import threading

import numpy as np
import pytest

import gatecore as gc
from gatecore import config, cpu_pool
from tests import support

SIZE = 1 << 12


@pytest.fixture(autouse=True)
def small_pool(monkeypatch):
    """Everything from SIZE bytes goes through the pool, which starts empty."""
    monkeypatch.setattr(config, "CPU_POOL_MIN_BYTES", SIZE)
    cpu_pool.release()
    yield
    cpu_pool.release()


def address(a):
    return a.__array_interface__["data"][0]


def test_memory_nothing_refers_to_is_handed_out_again():
    a = cpu_pool.line(SIZE)
    where = address(a)
    del a
    b = cpu_pool.line(SIZE)
    assert address(b) == where
    assert address(b) % cpu_pool.LINE == 0


@pytest.mark.parametrize("keep", ["array", "view", "reshaped", "float_view"])
def test_memory_in_use_is_never_handed_out(keep):
    a = cpu_pool.line(SIZE)
    a[:] = 7
    held = {"array": a, "view": a[100:200], "reshaped": a.reshape(64, -1), "float_view": a.view(np.float32)}[keep]
    del a
    b = cpu_pool.line(SIZE)
    b[:] = 1
    assert not np.shares_memory(held, b)
    assert (held.view(np.uint8) == 7).all()
    del held
    c = cpu_pool.line(SIZE)         # now free again: one of the two is reused
    assert not np.shares_memory(b, c)


def test_zeros_from_reused_memory_are_zeros():
    junk = np.full(2 * SIZE, 255, np.uint8)        # freed memory that fresh memory may well come from
    del junk
    fresh = cpu_pool.zeros((2 * SIZE,), np.uint8)
    assert not fresh.any()
    del fresh
    cpu_pool.release()
    a = cpu_pool.zeros((SIZE // 4,), np.float32)
    a[:] = np.nan
    where = address(a)
    del a
    z = cpu_pool.zeros((SIZE // 8,), np.float64)
    assert address(z) == where and not z.any()
    assert z.shape == (SIZE // 8,) and z.dtype == np.float64


def test_small_requests_and_much_smaller_requests_get_their_own_memory():
    big = cpu_pool.line(4 * SIZE)
    where = address(big)
    del big
    small = cpu_pool.line(SIZE)              # under half the free buffer: not reused
    assert address(small) != where
    tiny = cpu_pool.empty((SIZE // 8 - 1,), np.float32)
    assert tiny.base is None or tiny.base.nbytes < SIZE          # NumPy's own, not pooled
    half = cpu_pool.line(2 * SIZE)           # half of it: reused
    assert address(half) == where


def test_a_thread_keeps_at_most_the_limit(monkeypatch):
    monkeypatch.setattr(config, "CPU_POOL_MAX_BYTES", 5 * SIZE)
    held = [cpu_pool.line(2 * SIZE) for _ in range(4)]
    assert cpu_pool.pooled_bytes() <= 5 * SIZE
    assert all((a.__setitem__(slice(None), i) or True) for i, a in enumerate(held))
    assert [int(a[0]) for a in held] == [0, 1, 2, 3]            # dropping the pool's reference frees nothing
    over = cpu_pool.line(6 * SIZE)
    assert cpu_pool.pooled_bytes() <= 5 * SIZE and over.size == 6 * SIZE


def test_a_thread_keeps_at_most_max_buffers():
    held = [cpu_pool.line(SIZE) for _ in range(cpu_pool.MAX_BUFFERS + 5)]
    pooled = cpu_pool._pool().buffers
    assert len(pooled) == cpu_pool.MAX_BUFFERS
    in_pool = [any(np.shares_memory(a, b) for b in pooled) for a in held]
    assert in_pool == [False] * 5 + [True] * cpu_pool.MAX_BUFFERS       # the oldest were let go, still valid
    del pooled


def test_release_drops_every_buffer():
    a = cpu_pool.line(SIZE)
    del a
    assert cpu_pool.pooled_bytes() > 0
    cpu_pool.release()
    assert cpu_pool.pooled_bytes() == 0


def test_each_thread_has_its_own_pool():
    a = cpu_pool.line(SIZE)
    where = address(a)
    del a
    seen = []
    thread = threading.Thread(target=lambda: seen.append((address(cpu_pool.line(SIZE)), cpu_pool.pooled_bytes())))
    thread.start()
    thread.join()
    assert seen[0][0] != where and seen[0][1] > 0


CASES = [("lstm", {}), ("gru", {"linear_before_reset": True}), ("gru", {"linear_before_reset": False}),
         ("rnn", {"nonlinearity": "tanh"})]


@pytest.mark.parametrize("cell, opts", CASES)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_calls_through_the_pool_keep_their_bits(monkeypatch, cell, opts, dtype):
    """Two problems' forward (with tapes) and backward, interleaved so that later arrays come from the pool while
    earlier results and tapes are alive, then a tape used a second time: bit for bit the same as with the pool
    off, and no later call wrote into an earlier result. (On the general path: the compiled calls' arrays come from
    Numba's allocator, gatecore.cpu_compiled.)"""
    monkeypatch.setattr(config, "CPU_COMPILED_MAX_BYTES", 0)
    problems = [support.random_problem(cell, 9, 5, 13, 24, dtype, lengths="random", seed=s) for s in (1, 2)]

    def run():
        results, tapes = [], []
        for p in problems:
            *out, tape = support.forward(cell, p, "cpu", return_tape=True, **opts)
            results.append([o for o in out if o is not None])
            tapes.append(tape)
        copies = [[o.copy() for o in r] for r in results]
        grads = []
        for tape, r in zip(tapes + tapes[:1], results + results[:1]):
            dy, dh, dc = support.cotangents(cell, r[0], r[1], r[2] if cell == "lstm" else None)
            grads.append(support.backward(cell, tape, dy, dh, dc))
            copies.append([g.copy() for g in grads[-1].values()])
        for r, c in zip(results + [list(g.values()) for g in grads], copies):
            for live, copy in zip(r, c):
                np.testing.assert_array_equal(live, copy)
        return copies

    pooled = run()
    assert cpu_pool.pooled_bytes() > 0
    monkeypatch.setattr(config, "CPU_POOL_MIN_BYTES", 1 << 62)
    cpu_pool.release()
    plain = run()
    assert cpu_pool.pooled_bytes() == 0
    for a, b in zip(pooled, plain):
        for x, y in zip(a, b):
            np.testing.assert_array_equal(x, y)


_MALLOC_ROUNDS = r"""
import ctypes, resource
from gatecore import cpu_pool                       # primes malloc, unless GATECORE_CPU_MALLOC_PRIME_BYTES=0
malloc, free = cpu_pool.glibc_malloc()
def faults():
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt
free(malloc(256 << 10))                             # a small call's block, freed
counts = []
for _ in range(4):                                  # a larger call's arrays, written, then freed together
    f0 = faults()
    blocks = [malloc(4 << 20) for _ in range(4)]
    for b in blocks:
        ctypes.memset(b, 1, 4 << 20)
    for b in blocks:
        free(b)
    counts.append(faults() - f0)
print(counts)
"""


def _malloc_rounds(prime_bytes):
    env = dict(os.environ, GATECORE_CPU_MALLOC_PRIME_BYTES=str(prime_bytes))
    out = subprocess.run([sys.executable, "-c", _MALLOC_ROUNDS], env=env, capture_output=True, text=True,
                         timeout=300)
    assert out.returncode == 0, out.stderr
    return ast.literal_eval(out.stdout.strip().splitlines()[-1])


def test_primed_malloc_keeps_a_calls_freed_memory():
    """After gatecore loads (cpu_pool.prime_malloc), 16 MB of blocks freed together stay with the process: the
    next rounds of the same blocks take no page faults, where with priming off glibc gives them back at every
    round (shown when this libc does: else only the primed half is checked)."""
    if cpu_pool.glibc_malloc() is None:
        pytest.skip("not glibc: nothing to prime")
    primed = _malloc_rounds(config.CPU_MALLOC_PRIME_BYTES)
    assert sum(primed[1:]) < 100, primed           # 4096 a round when the blocks are faulted in again
    plain = _malloc_rounds(0)
    if plain[-1] < 1000:
        pytest.skip(f"this libc kept the blocks without priming too ({plain}); primed: {primed}")
    assert min(plain[1:]) > 1000, plain
