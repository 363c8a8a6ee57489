"""What the Numba CPU kernels of the three cells share: compile settings, the dot product, packed-sequence
indexing, the choice between a fused per-unit loop and a BLAS product, and the GEMMs around the time loop.

Layout used by every cpu kernel (T steps, B batch rows, G gates, H units, R = width of h):
  gates [T, B, G*H]  time-indexed; first W_ih x_t + b (one GEMM before the loop), then overwritten in place
                     by the post-activation gates as the loop reaches (t, b)
  hp    [T, B, R]    h_{t-1} as used at time t (time-indexed), so dW_hh = dA^T hp is one GEMM after the loop
  hbuf  [2, B, R]    the running state, double-buffered: step k reads hbuf[k % 2] and writes hbuf[1 - k % 2]
Step k of row b reads time t = time_of(k, lengths[b], reverse) and is real iff k < lengths[b]; a padding step
keeps the state and leaves y at 0 (API.md §1, PyTorch's packed sequences).

Inside the time loop only the recurrent product and one pointwise pass run. At small batch the product is
a matrix-vector product fused with the pointwise math per hidden unit (w_hh rows read once per step); its
units are split over threads only when a step holds enough work (config.CPU_PARALLEL_MIN_WORK), because a
parallel region costs microseconds. At large batch (config.CPU_BLAS_MIN_BATCH) it is one BLAS GEMM per step,
called outside any prange. Every dot product is computed by one thread in the one compiled function that
serves both the serial and the threaded path, so results are bitwise the same whatever the thread count.
"""
from __future__ import annotations

import types

import numba
import numpy as np

from . import config, cpu_math

JIT = dict(cache=config.CACHE, nogil=True, fastmath=config.FASTMATH, error_model="numpy")
# only explicit prange loops run in parallel: Numba would otherwise turn each np.zeros and array assignment
# of a kernel into a parallel region of its own (microseconds each, milliseconds on a loaded machine)
_ONLY_PRANGE = dict(comprehension=False, reduction=False, inplace_binop=False, setitem=False, numpy=False,
                    stencil=False, fusion=False, prange=True)
inline = numba.njit(inline="always")

# what cell.py calls, as the CPU compiles it (float32 math in float32: gatecore.cpu_math)
_CPU_MATH = {"sigmoid": cpu_math.sigmoid, "dsigmoid": cpu_math.dsigmoid, "dtanh": cpu_math.dtanh,
             "math": cpu_math.namespace}


def kernel(fn):
    """A time-loop kernel: compiled with its prange loops parallel (and nothing else)."""
    return numba.njit(parallel=dict(_ONLY_PRANGE), **JIT)(fn)


def compile_units(fn):
    """A kernel's loop over a range of hidden units, inlined where it is called: in a prange body and on the
    one-thread path (a parallel kernel that calls a dispatcher cannot be cached by Numba)."""
    return numba.njit(**JIT)(fn)


def compile_pointwise(fn):
    """A cell's plain scalar function (cell.py) compiled for the CPU, inlined into the kernels.

    The scalar activations it calls (and `math.tanh`) are swapped for gatecore.cpu_math's, which keep float32
    math in float32; the source stays plain Python so the CUDA backend compiles the very same functions.
    """
    scope = dict(fn.__globals__)
    scope.update(_CPU_MATH)
    rebuilt = types.FunctionType(fn.__code__, scope, fn.__name__, fn.__defaults__, fn.__closure__)
    rebuilt.__module__ = fn.__module__
    rebuilt.__qualname__ = fn.__qualname__
    return inline(rebuilt)


@inline
def dot(a, b):
    """sum_j a[j] * b[j]; vectorised by the kernels' reassociation (config.FASTMATH) in one fixed order."""
    s = a.dtype.type(0)
    for j in range(a.shape[0]):
        s += a[j] * b[j]
    return s


@inline
def chunk(c, chunks, n):
    """The range [lo, hi) of chunk c when 0..n-1 is cut into `chunks` near-equal consecutive chunks."""
    return c * n // chunks, (c + 1) * n // chunks


@inline
def time_of(k, n, reverse):
    """The time step that step k of a sequence of n real steps reads (k itself at padding steps)."""
    if reverse and k < n:
        return n - 1 - k
    return k


@numba.njit(**JIT)
def save_prev_state(hp, h_prev, k, lengths, reverse):
    """Tape of step k: hp[t, b] = h_prev[b] for real steps, 0 at padding steps."""
    for b in range(h_prev.shape[0]):
        n = lengths[b]
        if k < n:
            hp[time_of(k, n, reverse), b] = h_prev[b]
        else:
            hp[k, b] = 0


def full_lengths(lengths, T, B):
    """lengths as int64 [B]; None (every sequence full) becomes [T] * B."""
    return np.full(B, T, dtype=np.int64) if lengths is None else lengths


def state_or_zeros(a, B, width, dtype):
    """The initial state as a fresh writable [B, width] array (zeros when not given)."""
    return np.zeros((B, width), dtype) if a is None else a.copy()


@numba.njit(cache=config.CACHE, nogil=True)
def _gemm(a, b):
    return np.dot(a, b)


def gemm(a, b):
    """a @ b through the same BLAS the kernels call inside their time loops (Numba binds SciPy's OpenBLAS, NumPy
    has its own): with two OpenBLAS thread pools, each call woke one pool while the other's threads still spun,
    which cost milliseconds per call on a 2-core machine."""
    if not (a.flags.c_contiguous or a.flags.f_contiguous):
        a = np.ascontiguousarray(a)
    if not (b.flags.c_contiguous or b.flags.f_contiguous):
        b = np.ascontiguousarray(b)
    return _gemm(a, b)


def input_projection(x, w_ih, bias):
    """W_ih x_t + bias for all T*B rows in one GEMM: [T, B, G*H] (bias None = no bias)."""
    T, B, I = x.shape
    out = gemm(x.reshape(T * B, I), w_ih.T)
    if bias is not None:
        out += bias
    return out.reshape(T, B, w_ih.shape[0])


def use_blas(B):
    """Whether the recurrent product runs as a BLAS GEMM per step (large batch) rather than fused loops."""
    return B >= config.CPU_BLAS_MIN_BATCH


def chunks(B, rows, width):
    """Into how many chunks (one per thread) a step's loop over `rows` units is cut: 1 (no parallel region)
    unless its B * rows dot products of length `width` are worth one, and 1 on the BLAS path, where the
    pointwise pass is cheap and Numba's threads would fight BLAS's own for the cores at every step."""
    if B * rows * width < config.CPU_PARALLEL_MIN_WORK or use_blas(B):
        return 1
    return numba.get_num_threads()


def weight_grads(da, inputs):
    """sum over (t, b) of da[t, b] (x) inputs[t, b]: da [T, B, M], inputs [T, B, N] -> [M, N] (one GEMM)."""
    M, N = da.shape[2], inputs.shape[2]
    return gemm(da.reshape(-1, M).T, inputs.reshape(-1, N))


def input_grads(da, x, w_ih):
    """From da = dL/d(W_ih x_t + b_ih) [T, B, G*H]: (dx [T, B, I], dw_ih [G*H, I], db [G*H])."""
    T, B, GH = da.shape
    dx = gemm(da.reshape(T * B, GH), w_ih).reshape(x.shape)
    return dx, weight_grads(da, x), da.reshape(T * B, GH).sum(axis=0)


def with_bias_grads(grads, has_bias, db_ih, db_hh):
    """grads plus db_ih, db_hh when the forward had biases (the contract returns them only then)."""
    if has_bias:
        grads["db_ih"] = db_ih
        grads["db_hh"] = db_hh
    return grads
