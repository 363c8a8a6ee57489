"""What the three `cuda` backends share: tiled GEMM, the persistent-or-per-step recurrence driver, device I/O.

Arrays enter kernels flat (1-D, C order) and kernels index them as `row * width + col`, so one GEMM kernel
with
element strides serves every product of the backends:

    gemm:   C[m, n] = sum_k A[a_off + m*a_rs + k*a_cs] * B[b_off + k*b_rs + n*b_cs]  (+ bias1[n] + bias2[n])
            C: [M, N] row-major at c_off; each thread owns one C element and sums k in a fixed order (tiles of
            TILE x TILE staged in shared memory), so results are deterministic: no atomics anywhere.
    colsum: out[n] = sum_r a[r*N + n]  (bias gradients), one thread per column, rows in order.

The recurrent loop runs either as one persistent cooperative kernel (each block owns U hidden units, keeps
their
rows/columns of w_hh in static shared memory and steps in lockstep with a grid barrier) or, where that slice
does not fit in CUDA_SHARED_FLOATS, the grid would exceed the co-resident block limit, or config says so, as
one
fused launch per step (and per phase) on the same stream, reading w_hh from global memory.

Host side: NumPy inputs are copied in and results copied out; `__cuda_array_interface__` inputs (Numba, CuPy,
PyTorch) are used in place and device arrays are returned. Everything runs on one stream (config's, default 0)
and the host synchronises only when it copies results out.
"""
from __future__ import annotations

import math

import numba
import numpy as np
from numba import cuda, float32

from . import activations, config, pointwise

SIMULATOR = bool(numba.config.ENABLE_CUDASIM)
TILE = config.CUDA_GEMM_TILE
SHARED_FLOATS = config.CUDA_SHARED_FLOATS

_ACTIVATIONS = {name: cuda.jit(device=True)(getattr(activations, name))
                for name in ("sigmoid", "dsigmoid", "dtanh")}


def device_function(fn):
    """Compile a pointwise cell function (plain Python, shared with the CPU backend) as a CUDA device
    function, with the activations it calls bound to their device versions (and the functions of its own module
    it calls compiled alike)."""
    return cuda.jit(device=True)(pointwise.rebound(fn, _ACTIVATIONS, device_function))


# ------------------------------------------------------------------------------------------ device helpers
@cuda.jit(device=True)
def dot(w, w_base, w_stride, v, v_base, n):
    """sum_k w[w_base + k*w_stride] * v[v_base + k], k = 0..n-1, in order, accumulated in float32."""
    acc = float32(0.0)
    for k in range(n):
        acc += w[w_base + k * w_stride] * v[v_base + k]
    return acc


@cuda.jit(device=True)
def time_of(s, length, reverse):
    """The time index that processing step s of a sequence of `length` real steps reads (s < length)."""
    return length - 1 - s if reverse else s


@cuda.jit(device=True)
def backward_start(s, b, j, w, w_col, w_row, da, GH, width, dh_carry, dh0, lengths, B, H, reverse):
    """What every cell's backward does first at step s (T-1 down to 0; s = -1 writes dh0) for row b, unit j.

    rec = sum over the first `width` gate rows r of w_hh[r, j] * da_{s+1}[r] (w[w_col + r*w_row] = w_hh[r, j];
    da rows GH wide; 0 when step s + 1 is padding). Returns (t, rec) with t the time step s reads, or t = -1
    when the unit has nothing more to do: s = -1 (dh0 = dh_carry + rec written here) or a padding step."""
    L = lengths[b]
    rec = float32(0.0)
    if s + 1 < L:
        rec = dot(w, w_col, w_row, da, (time_of(s + 1, L, reverse) * B + b) * GH, width)
    if s < 0:
        k = b * H + j
        dh0[k] = dh_carry[k] + rec
        return -1, rec
    if s >= L:
        return -1, rec
    return time_of(s, L, reverse), rec


@cuda.jit(device=True)
def load_rows(w_sh, w, j0, nu, U, G, H):
    """w_sh[(q*U + u)*H + k] = w[(q*H + j0 + u)*H + k]: the rows of units j0..j0+nu-1, every gate q."""
    n = G * nu * H
    for idx in range(cuda.threadIdx.x, n, cuda.blockDim.x):
        q = idx // (nu * H)
        rem = idx - q * nu * H
        u = rem // H
        k = rem - u * H
        w_sh[(q * U + u) * H + k] = w[(q * H + j0 + u) * H + k]


@cuda.jit(device=True)
def load_cols(w_sh, w, j0, nu, GH, H):
    """w_sh[u*GH + r] = w[r*H + j0 + u]: columns of units j0..j0+nu-1 over all GH rows (backward)."""
    for idx in range(cuda.threadIdx.x, nu * GH, cuda.blockDim.x):
        u = idx // GH
        r = idx - u * GH
        w_sh[u * GH + r] = w[r * H + j0 + u]


# ------------------------------------------------------------------------------------------------ kernels
@cuda.jit(cache=True)
def _gemm(A, a_off, a_rs, a_cs, Bm, b_off, b_rs, b_cs, C, c_off, M, N, K, bias1, bias2, nbias):
    a_tile = cuda.shared.array((TILE, TILE), float32)
    b_tile = cuda.shared.array((TILE, TILE), float32)
    tx = cuda.threadIdx.x
    ty = cuda.threadIdx.y
    m = cuda.blockIdx.x * TILE + ty
    n = cuda.blockIdx.y * TILE + tx
    acc = float32(0.0)
    for k0 in range(0, K, TILE):
        ka = k0 + tx
        kb = k0 + ty
        a_tile[ty, tx] = A[a_off + m * a_rs + ka * a_cs] if m < M and ka < K else float32(0.0)
        b_tile[ty, tx] = Bm[b_off + kb * b_rs + n * b_cs] if kb < K and n < N else float32(0.0)
        cuda.syncthreads()
        for kk in range(TILE):
            acc += a_tile[ty, kk] * b_tile[kk, tx]
        cuda.syncthreads()
    if m < M and n < N:
        if nbias > 0:
            acc += bias1[n]
        if nbias > 1:
            acc += bias2[n]
        C[c_off + m * N + n] = acc


@cuda.jit(cache=True)
def _colsum(a, out, R, N):
    n = cuda.grid(1)
    if n < N:
        acc = float32(0.0)
        for r in range(R):
            acc += a[r * N + n]
        out[n] = acc


@cuda.jit(cache=True)
def _fill(a, value, n):
    for i in range(cuda.grid(1), n, cuda.gridsize(1)):
        a[i] = value


@cuda.jit(cache=True)
def _copy(dst, src, n):
    for i in range(cuda.grid(1), n, cuda.gridsize(1)):
        dst[i] = src[i]


# -------------------------------------------------------------------------------------------- host helpers
def stream():
    """The stream every gatecore CUDA launch and copy uses (config.CUDA_STREAM, or the default stream)."""
    return getattr(config, "CUDA_STREAM", None) or cuda.default_stream()


def is_device(a) -> bool:
    """A GPU array: __cuda_array_interface__ (CuPy, PyTorch, Numba) or a Numba (or simulator) device array."""
    return a is not None and not isinstance(a, np.ndarray) and (
        hasattr(a, "__cuda_array_interface__") or getattr(a, "__cuda_ndarray__", False))


def to_device(a, st):
    """A flat device view of `a` (a device array in place, a NumPy array copied in); None stays None."""
    if a is None:
        return None
    if getattr(a, "__cuda_ndarray__", False):
        d = a
    elif is_device(a):
        d = cuda.as_cuda_array(a)
    else:
        d = cuda.to_device(np.ascontiguousarray(a), stream=st)
    return d.reshape(d.size)


def empty(n, st, dtype=np.float32):
    return cuda.device_array(max(int(n), 1), dtype=dtype, stream=st)


def _grid(n):
    return max(1, min(math.ceil(n / config.CUDA_THREADS_PER_BLOCK), 65535))


def zeros(n, st):
    a = empty(n, st)
    _fill[_grid(n), config.CUDA_THREADS_PER_BLOCK, st](a, float32(0.0), a.size)
    return a


def copy_or_zeros(src, n, st):
    """A new flat device array of n floats starting with src (flat, on the device), or zeros."""
    if src is None:
        return zeros(n, st)
    a = empty(n, st)
    _copy[_grid(src.size), config.CUDA_THREADS_PER_BLOCK, st](a, src, src.size)
    return a


def lengths_on_device(lengths, T, B, st):
    """lengths int64 [B] on the device; None (every sequence full) becomes [T] * B."""
    host = np.full(B, T, dtype=np.int64) if lengths is None else np.ascontiguousarray(lengths, dtype=np.int64)
    return cuda.to_device(host, stream=st)


def gemm(st, A, a_off, a_rs, a_cs, Bm, b_off, b_rs, b_cs, C, c_off, M, N, K, bias1=None, bias2=None):
    """C[c_off + m*N + n] = sum_k A[m, k] * B[k, n] (+ bias1[n] + bias2[n]), strided as in the module doc."""
    nbias = (bias1 is not None) + (bias2 is not None)
    dummy = C
    b1 = bias1 if bias1 is not None else dummy
    b2 = bias2 if bias2 is not None else dummy
    if M == 0 or N == 0:
        return
    grid = (math.ceil(M / TILE), math.ceil(N / TILE))
    _gemm[grid, (TILE, TILE), st](A, a_off, a_rs, a_cs, Bm, b_off, b_rs, b_cs, C, c_off, M, N, K, b1, b2,
                                  nbias)


def colsum(st, a, R, N):
    """out[n] = sum over the R rows of a [R, N] (flat), as a new device array of N floats."""
    out = empty(N, st)
    tpb = config.CUDA_THREADS_PER_BLOCK
    _colsum[math.ceil(N / tpb), tpb, st](a, out, R, N)
    return out


def _max_cooperative_blocks(kernel, args, tpb):
    if SIMULATOR:
        return kernel.overloads[None].max_cooperative_grid_blocks(tpb)
    compiled = kernel.compile(tuple(kernel.typeof_pyval(a) for a in args))
    return compiled.max_cooperative_grid_blocks(tpb)


def persistent_grid(kernel, args, G, H):
    """(U, blocks) for the persistent kernel — U units per block, G*U*H weights in shared memory, every block
    co-resident — or None where it cannot run (the caller then launches one fused kernel per step).
    `args` are the kernel's arguments with a placeholder U last (only the types matter here)."""
    capacity = min(config.CUDA_SHARED_FLOATS, SHARED_FLOATS)
    if not config.CUDA_PERSISTENT or G * H > capacity:
        return None
    tpb = config.CUDA_THREADS_PER_BLOCK
    try:
        max_blocks = _max_cooperative_blocks(kernel, args, tpb)
    except Exception:  # pragma: no cover - no cooperative launch on this device/driver
        return None
    if max_blocks < 1:
        return None
    U = math.ceil(H / max_blocks)
    if G * U * H > capacity:
        return None
    return U, math.ceil(H / U)


last_path = None          # (which recurrence path the last call took, its block count): for tests


def recur(st, persistent, step, args, G, H, B, order, phases=((),)):
    """Run a recurrence: the persistent kernel `persistent(*args, U)` where it fits, else for each processing
    step s in `order` and each phase of a step, `step(s, *phase, *args)` over B*H threads."""
    global last_path
    plan = persistent_grid(persistent, (*args, 1), G, H)
    tpb = config.CUDA_THREADS_PER_BLOCK
    if plan is not None:
        U, blocks = plan
        persistent[blocks, tpb, st](*args, U)
        last_path = ("persistent", blocks)
        return
    blocks = math.ceil(B * H / tpb)
    launch = step[blocks, tpb, st]
    for s in order:
        for phase in phases:
            launch(s, *phase, *args)
    last_path = ("per-step", blocks)


def forward_inputs(st, x, w_ih, lengths, T, B, I, G, H, b_ih, b_hh=None):
    """What every cell's forward does before its recurrence, on flat device arrays x [T*B*I], w_ih [G*H*I]:
    returns (lengths on the device, xw = x W_ih^T + b_ih (+ b_hh) [T*B*G*H], y [T*B*H]); y is zeroed only when
    lengths leave padding steps unwritten."""
    lens = lengths_on_device(lengths, T, B, st)
    xw = empty(T * B * G * H, st)
    gemm(st, x, 0, I, 1, w_ih, 0, 1, I, xw, 0, T * B, G * H, I, b_ih, b_hh)
    y = zeros(T * B * H, st) if lengths is not None else empty(T * B * H, st)
    return lens, xw, y


def final_state(hs, T, B, H):
    """h_n out of the double-buffered state hs [2*B*H]: step s writes half (s + 1) % 2."""
    return hs[(T % 2) * B * H:(T % 2 + 1) * B * H]


def to_host_or_device(host, st, arrays):
    """Results out: NumPy copies (one synchronisation) when the call came with host arrays, else the device
    arrays themselves; `arrays` are (flat device array, shape) pairs."""
    if not host:
        return tuple(a.reshape(shape) if a is not None else None for a, shape in arrays)
    out = tuple(a.copy_to_host(stream=st).reshape(shape) if a is not None else None for a, shape in arrays)
    st.synchronize()
    return out


def input_grads(st, dax, dah, x, w_ih, h_prev, T, B, I, H, G, has_bias, rh=None):
    """The products after the backward loop, over all T*B rows at once, as {name: (flat array, shape)}:

        dx = dax @ w_ih          dw_ih = dax^T x          dw_hh = dah^T h_prev     db_ih = Σ dax   db_hh = Σ
        dah
    dax/dah [T*B, G*H] are the gradients of the x- and h-parts of the pre-activations (the same array for LSTM
    and RNN), h_prev [T*B, H] the state each step read; with rh (GRU, linear_before_reset=False) the n rows of
    dw_hh multiply r*h_prev instead: dw_hh[2H:] = dah[:, 2H:]^T rh.
    """
    TB, GH = T * B, G * H
    dx, dw_ih, dw_hh = empty(TB * I, st), empty(GH * I, st), empty(GH * H, st)
    gemm(st, dax, 0, GH, 1, w_ih, 0, I, 1, dx, 0, TB, I, GH)
    gemm(st, dax, 0, 1, GH, x, 0, I, 1, dw_ih, 0, GH, I, TB)
    plain_rows = GH if rh is None else 2 * H
    gemm(st, dah, 0, 1, GH, h_prev, 0, H, 1, dw_hh, 0, plain_rows, H, TB)
    if rh is not None:
        gemm(st, dah, 2 * H, 1, GH, rh, 0, H, 1, dw_hh, 2 * H * H, H, H, TB)
    grads = {"dx": (dx, (T, B, I)), "dw_ih": (dw_ih, (GH, I)), "dw_hh": (dw_hh, (GH, H))}
    if has_bias:
        grads["db_ih"] = (colsum(st, dax, TB, GH), (GH,))
        grads["db_hh"] = (colsum(st, dah, TB, GH), (GH,))
    return grads


def finish_grads(host, st, grads):
    """{name: array} from {name: (flat device array, shape)}, on the host or the device as the call came."""
    names = list(grads)
    return dict(zip(names, to_host_or_device(host, st, [grads[k] for k in names])))
