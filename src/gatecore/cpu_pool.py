"""Memory for the cpu backend's large arrays, kept by each thread and handed out again from call to call.

A large NumPy array comes from glibc's malloc, which gives freed memory back to the OS past its trim threshold
and serves requests past its mmap threshold (128 kB, rising up to 32 MB as such blocks are freed) with fresh
mappings. A call that gets such memory faults every page of it in again, and whether it does depends on what
ran before it, because the thresholds move. LSTM forward, float32, 2 threads, session 21's Intel VM: T=16 B=16
H=512 took 12.5 ms a call with 1507 page faults after a run of other shapes, and 5.4 ms with none when it ran
first (benchmarks/probes/fault_sequence.py, probes_session21.txt). ONNX Runtime's arena and oneDNN's
scratchpad keep their memory for the same reason.

So the cpu backend takes its arrays of config.CPU_POOL_MIN_BYTES or more from here (panels, pre-activations,
the tape, outputs, gradients). Each thread keeps the buffers it has handed out and hands one out again once
nothing refers to it any more: its reference count says so, so an array that a caller kept (an output, a
tape) is never reused while it lives, and reuse cannot change a result. A buffer is reused for a request of at
least half its size. A thread keeps at most config.CPU_POOL_MAX_BYTES in MAX_BUFFERS buffers: past that the
oldest free buffers are dropped first, then the oldest in use (only the pool's reference to them: whoever holds
them keeps them).
`release()` drops every thread's buffers at once.

The arrays of a compiled call (gatecore.cpu_compiled) come from Numba's allocator, i.e. malloc, not from here.
For them prime_malloc() moves glibc's thresholds once, when this module loads, to where they would be after any
block of config.CPU_MALLOC_PRIME_BYTES had been freed: blocks under that size then come from the heap, and freed
memory up to twice it stays with the process, so a compiled call's arrays are not faulted in again at each call.
"""
from __future__ import annotations

import ctypes
import math
import os
import sys
import threading
import weakref

import numpy as np

from . import config

LINE = 64                       # bytes in a cache line
MAX_BUFFERS = 32                # buffers a thread keeps (each request looks at all of them)


class _Pool:
    """One thread's buffers (uint8, oldest first) and their bytes."""
    __slots__ = ("buffers", "nbytes", "__weakref__")

    def __init__(self):
        self.buffers = []
        self.nbytes = 0


_this_thread = threading.local()
_pools = weakref.WeakSet()      # every live thread's pool, for release()
_pools_lock = threading.Lock()


def _pool():
    pool = getattr(_this_thread, "pool", None)
    if pool is None:
        pool = _this_thread.pool = _Pool()
        with _pools_lock:
            _pools.add(pool)
    return pool


def _counts(buffers):
    """The reference count of each buffer in the list `buffers`, as this loop sees it."""
    counts = []
    for buffer in buffers:
        counts.append(sys.getrefcount(buffer))
    return counts


_FREE = _counts([np.empty(1, np.uint8)])[0]     # a buffer that only its list holds (measured, not assumed)


def _keep(pool, buffer):
    """Adds buffer to pool, first dropping the oldest free buffers, then the oldest ones in use, while the pool
    would hold more than config.CPU_POOL_MAX_BYTES or MAX_BUFFERS buffers; a buffer over the byte limit on its
    own is not kept."""
    limit = config.CPU_POOL_MAX_BYTES
    if buffer.nbytes > limit:
        return
    nbytes, count = pool.nbytes + buffer.nbytes, len(pool.buffers) + 1
    if nbytes > limit or count > MAX_BUFFERS:
        kept = list(zip(pool.buffers, [n <= _FREE for n in _counts(pool.buffers)]))
        for drop_in_use in (False, True):
            keep = []
            for old, free in kept:
                if (free or drop_in_use) and (nbytes > limit or count > MAX_BUFFERS):
                    nbytes, count = nbytes - old.nbytes, count - 1
                else:
                    keep.append((old, free))
            kept = keep
        pool.buffers = [old for old, _ in kept]
    pool.buffers.append(buffer)
    pool.nbytes = nbytes


def line(nbytes, slack=0, zero=False):
    """nbytes (zeros with `zero`) starting on a cache line, as uint8, with `slack` more readable bytes after them
    (outside the view): from this thread's pool from config.CPU_POOL_MIN_BYTES up, else NumPy's."""
    need = nbytes + slack + LINE
    if need < config.CPU_POOL_MIN_BYTES:
        raw = (np.zeros if zero else np.empty)(need, np.uint8)
    else:
        pool = _pool()
        best = -1
        for i, count in enumerate(_counts(pool.buffers)):
            size = pool.buffers[i].nbytes
            if count <= _FREE and need <= size <= 2 * need and (best < 0 or size < pool.buffers[best].nbytes):
                best = i
        if best < 0:
            raw = (np.zeros if zero else np.empty)(need, np.uint8)
            _keep(pool, raw)
        else:
            raw = pool.buffers[best]
            if zero:
                raw[:need].fill(0)
    start = -raw.ctypes.data % LINE
    return raw[start:start + nbytes]


def _array(shape, dtype, zero):
    dtype = np.dtype(dtype)
    nbytes = math.prod(shape) * dtype.itemsize
    if nbytes < config.CPU_POOL_MIN_BYTES:
        return (np.zeros if zero else np.empty)(shape, dtype)
    return line(nbytes, zero=zero).view(dtype).reshape(shape)


def empty(shape, dtype):
    """np.empty(shape, dtype), from the pool (on a cache line) when it is large."""
    return _array(shape, dtype, False)


def zeros(shape, dtype):
    """np.zeros(shape, dtype), from the pool (on a cache line) when it is large."""
    return _array(shape, dtype, True)


def release():
    """Drops every thread's pooled buffers (arrays still in use stay valid: their holders keep them)."""
    with _pools_lock:
        pools = list(_pools)
    for pool in pools:
        pool.buffers = []
        pool.nbytes = 0


def pooled_bytes():
    """Bytes this thread's pool holds."""
    return _pool().nbytes


def glibc_malloc():
    """(malloc, free) of glibc through ctypes, typed as in C, or None off glibc or where they cannot be reached."""
    try:
        if not os.confstr("CS_GNU_LIBC_VERSION").startswith("glibc"):
            return None
        libc = ctypes.CDLL(None)
        malloc, free = libc.malloc, libc.free
    except (ValueError, OSError, AttributeError, TypeError):
        return None
    malloc.restype, malloc.argtypes = ctypes.c_void_p, [ctypes.c_size_t]
    free.restype, free.argtypes = None, [ctypes.c_void_p]
    return malloc, free


def prime_malloc(nbytes):
    """Takes one block of nbytes from glibc's malloc and gives it back, without touching it, so that glibc's
    moving thresholds sit where that free puts them: a block this large is mapped fresh (past the mmap threshold,
    128 kB at first) and its free raises the mmap threshold to its size (up to 32 MB on 64-bit) and the trim
    threshold to twice that (mallopt(3)). After a run of small calls the thresholds are low, and a compiled call
    whose arrays together pass the trim threshold has them given back to the OS when it frees them and faults
    them in again at its next call. Nothing is done (False) for nbytes <= 0, off glibc, or where malloc cannot be
    reached (glibc_malloc); a threshold that mallopt or MALLOC_MMAP_THRESHOLD_ fixed does not move."""
    functions = glibc_malloc() if nbytes > 0 else None
    if functions is None:
        return False
    malloc, free = functions
    block = malloc(nbytes)
    free(block)
    return block is not None


prime_malloc(config.CPU_MALLOC_PRIME_BYTES)
