"""The cpu backend's product on unpacked weights: out[b, n] = w[n] . v[b], as a dot-product micro-kernel.

Used where packing w (cpu_packed, about 0.3 ns per weight) costs more than it saves: a single step (T = 1, a
decoding loop's call) and a single sequence (B = 1, cpu_common.panels), where each step is a matrix-vector
product that reads every weight once. w [N, K] and v [M, K] have contiguous rows; out [M, N] is C-contiguous.

A block of R rows of w x BV rows of v keeps R * BV accumulator vectors of cpu_packed.VECTOR_BYTES (64 bytes:
16 float32, 8 float64; 32 bytes without AVX-512) in registers and adds w[n, k:k+W] * v[b, k:k+W] into them with
fused multiply-adds along k (the last, partial vector masked), then folds each accumulator's lanes to one sum:
lane l + lane l+W/2, then l + l+W/4, and so on (combined across accumulators, two at a time, so the shuffles are
shared). Written in LLVM IR for the same reason as cpu_packed: explicit full-width vectors and FMAs. LLVM's own
loop over `s += w[k] * v[k]` ran at a quarter of the FMA rate here (28 GFLOP/s on one core at H = 64..512,
float32, AVX-512).

Every output is the same arithmetic in every block shape (one lane-wise FMA chain per lane in k order, then the
same fold tree), so a product does not depend on where a caller cuts its ranges of n or b: bitwise the same at
any thread count and in any batch block.
"""
from __future__ import annotations

import numba
from llvmlite import ir
from numba import types
from numba.core import cgutils
from numba.core.errors import TypingError
from numba.extending import intrinsic

from . import config
from .cpu_packed import _I32, VECTOR_BYTES, _Vectors


def _fold(builder, V, accs):
    """One vector holding the lane sums of `accs` (a power of two of them, at most W) in their order: pairs
    are merged (half of each one's lanes, added), then the single vector is halved, until one lane per sum."""
    W = V.W
    vecs, lanes = list(accs), W                       # lanes per sum within each vector
    while len(vecs) > 1:
        half = lanes // 2
        sums = W // lanes                             # sums per vector before the merge
        lo = [s * lanes + j for s in range(sums) for j in range(half)]
        hi = [s * lanes + half + j for s in range(sums) for j in range(half)]
        merged = []
        for a, b in zip(vecs[0::2], vecs[1::2]):
            pick = [ir.Constant(ir.VectorType(_I32, W), lo + [W + i for i in lo]),
                    ir.Constant(ir.VectorType(_I32, W), hi + [W + i for i in hi])]
            merged.append(builder.fadd(builder.shuffle_vector(a, b, pick[0]), builder.shuffle_vector(a, b, pick[1])))
        vecs, lanes = merged, half
    v, width = vecs[0], W
    while lanes > 1:
        half = lanes // 2
        sums = width // lanes
        lo = [s * lanes + j for s in range(sums) for j in range(half)]
        hi = [s * lanes + half + j for s in range(sums) for j in range(half)]
        undef = ir.Constant(v.type, ir.Undefined)
        v = builder.fadd(builder.shuffle_vector(v, undef, ir.Constant(ir.VectorType(_I32, len(lo)), lo)),
                         builder.shuffle_vector(v, undef, ir.Constant(ir.VectorType(_I32, len(hi)), hi)))
        width, lanes = width // 2, half
    return v


def _codegen_dots(R, BV):
    """LLVM IR for out[b + j, n + i] = w[n + i, :K] . v[b + j, :K], i < R, j < BV."""
    def codegen(context, builder, sig, args):
        out, w, v = (context.make_array(t)(context, builder, a) for t, a in zip(sig.args[:3], args[:3]))
        n, b, K = args[3:]
        V = _Vectors(context, builder, sig.args[0].dtype, n.type)
        W, const = V.W, V.const
        acc = [[cgutils.alloca_once_value(builder, V.zero) for i in range(R)] for j in range(BV)]
        rows_w = [builder.add(n, const(i)) for i in range(R)]
        rows_v = [builder.add(b, const(j)) for j in range(BV)]

        def accumulate(k, mask):
            load = (lambda p: builder.load(p, align=V.size)) if mask is None else (lambda p: V.load(p, mask))
            ws = [load(V.at(w, r, k)) for r in rows_w]
            for j, r in enumerate(rows_v):
                x = load(V.at(v, r, k))
                for i in range(R):
                    builder.store(builder.call(V.fma, [ws[i], x, builder.load(acc[j][i])]), acc[j][i])

        full = builder.mul(builder.sdiv(K, const(W)), const(W))
        with cgutils.for_range_slice(builder, const(0), full, const(W), inc=True) as (k, _):
            accumulate(k, None)
        with builder.if_then(builder.icmp_signed("<", full, K)):
            accumulate(full, V.below(V.lanes(0), builder.sub(K, full)))
        accs = [builder.load(acc[j][i]) for j in range(BV) for i in range(R)]
        group = min(len(accs), W)                     # at most W sums fit one vector (4 x 4 in float64: two)
        sums = [_fold(builder, V, accs[g:g + group]) for g in range(0, len(accs), group)]
        if BV == 1 and group == W:                    # a vector of sums is W consecutive outputs of one row
            for g, vector in enumerate(sums):
                builder.store(vector, V.at(out, rows_v[0], rows_w[g * W]), align=V.size)
            return context.get_dummy_value()
        for j, r in enumerate(rows_v):
            for i in range(R):
                e = j * R + i
                value = builder.extract_element(sums[e // group], ir.Constant(_I32, e % group))
                builder.store(value, V.element(out, r, rows_w[i]))
        return context.get_dummy_value()
    return codegen


def _dots(R, BV):
    @intrinsic
    def dots(typingctx, out, w, v, n, b, K):
        if any(not isinstance(a, types.Array) or a.ndim != 2 or a.dtype != out.dtype or a.layout != "C"
               or a.dtype not in (types.float32, types.float64) for a in (out, w, v)):
            raise TypingError("cpu_dots: out, w and v must be C-contiguous 2-d float arrays of one dtype")
        return types.void(out, w, v, types.intp, types.intp, types.intp), _codegen_dots(R, BV)
    return dots


# rows of w per block: AVX-512 16 x 1 (in float32 the 16 sums leave as one vector store) and 4 x 4; with AVX2's
# 16 registers those spill, and 8 x 1 and 2 x 4 win. 2-core AMD EPYC Zen 3, one thread, float32, hot caches:
# v [1, 64] x w [256, 64] 1.83 us 16 x 1 -> 1.09 us 8 x 1; [1, 512] x [1024, 512] 49.8 -> 42.8; [4, 256] x
# [1024, 256] 48.1 us 4 x 4 -> 32.9 us 2 x 4 (benchmarks/probes/dots_blocks.py)
ROWS = 16 if VECTOR_BYTES == 64 else 8
QUAD_ROWS = 4 if VECTOR_BYTES == 64 else 2
_dots_rows, _dots_half, _dots1x1 = _dots(ROWS, 1), _dots(ROWS // 2, 1), _dots(1, 1)
_dots_quad, _dots1x4 = _dots(QUAD_ROWS, 4), _dots(1, 4)


@numba.njit(**config.JIT)
def products(out, w, v, n0, n1, b0=0, b1=-1):
    """out[b, n] = w[n] . v[b] for n in [n0, n1) and b in [b0, b1) (b1 = -1: every row of v); w [N, K],
    v [M, K], out [M, N], all C-contiguous. Blocks of 4 rows of v x QUAD_ROWS rows of w (each weight loaded once
    for four rows of v), single rows of v against ROWS rows of w, then half as many; the rows left over one at a
    time. A called function, not inlined: compiled once per array type instead of at each of the kernels' call
    sites."""
    if b1 < 0:
        b1 = v.shape[0]
    K = w.shape[1]
    b = b0
    while b + 4 <= b1:
        n = n0
        while n + QUAD_ROWS <= n1:
            _dots_quad(out, w, v, n, b, K)
            n += QUAD_ROWS
        while n < n1:
            _dots1x4(out, w, v, n, b, K)
            n += 1
        b += 4
    while b < b1:
        n = n0
        while n + ROWS <= n1:
            _dots_rows(out, w, v, n, b, K)
            n += ROWS
        while n + ROWS // 2 <= n1:
            _dots_half(out, w, v, n, b, K)
            n += ROWS // 2
        while n < n1:
            _dots1x1(out, w, v, n, b, K)
            n += 1
        b += 1
