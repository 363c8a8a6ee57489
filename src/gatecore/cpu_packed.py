"""The cpu backend's GEMM on packed weights: out[b, n] = sum_k v[b, k] * m[k, n], written as a micro-kernel.

It computes the recurrent product in every time step and the GEMMs around the loop (cpu_common.gemm: input
projection, dx, dW). m [K, N] (W_hh^T in a forward step, W_hh in a backward one, the layer inputs for dW) is
copied once per call into panels (pack)
    P [N/PW, K, PW],  P[p, k, j] = m[k, p*PW + j]  (zero past N),  PW = VECTORS vectors of VECTOR_BYTES
(AVX-512: 4 x 64 bytes, 64 float32 or 32 float64; AVX2: 2 x 32 bytes, 16 float32 or 8 float64; see
config.CPU_VECTOR_BYTES), so that one step streams each panel row by row. A block of MR = 6, 4, 2 or 1 batch rows
x one panel (1, 2 or all VECTORS vectors of it, as many as the column range needs), or a single row x 2 or 4 whole
panels (_codegen_row: a single sequence's step), keeps its accumulator vectors in registers for a range of k and
adds v[b, k] * P[p, k, :] into them with fused multiply-adds: no horizontal reductions (what bounds a dot-product
kernel at short K) and, written in LLVM IR with explicit vectors, the full register width (LLVM's vectorisers stop
at 256 bits on AVX-512 CPUs).
k is cut into slices of KC so that a panel's slice stays in L1 while every row block passes over it. v may have
any strides (dW reads v = dA^T as a view); out and the panels are C-contiguous.

Each out[b, n] is, for every slice of KC values of k, one chain of fused multiply-adds in k order from zero,
and the slices' sums are added to out in k order (two levels, as a BLAS GEMM sums its k blocks: a single chain
over a long k, e.g. the T*B rows of a weight gradient, loses ~sqrt(K) ulps), whatever the block, the panel
offset or the rows and columns around it: bitwise the same result wherever a caller cuts its ranges (k at
multiples of KC), at any thread count, in any batch block, and with either vector width.
"""
from __future__ import annotations

import numba
import numpy as np
from llvmlite import binding as llvm
from llvmlite import ir
from numba import types
from numba.core import cgutils
from numba.core.errors import TypingError
from numba.extending import intrinsic

from . import config, cpu_pool


def _vector_bytes():
    """config.CPU_VECTOR_BYTES, or by the CPU Numba compiles for (its NUMBA_CPU_FEATURES, else the host's):
    64 bytes with AVX-512, else 32."""
    if config.CPU_VECTOR_BYTES:
        return config.CPU_VECTOR_BYTES
    features = numba.core.config.CPU_FEATURES or llvm.get_host_cpu_features().flatten()
    return 64 if "+avx512f" in features.split(",") else 32


VECTOR_BYTES = _vector_bytes()
# per panel row: VECTORS x MR accumulators, 24 of AVX-512's 32 vector registers or 12 of AVX2's 16 (AVX-512,
# 6 x 4 against 4 x 4 blocks, one thread, float32: 64 rows x 1024 x 256 99-106 -> 130-135 GFLOP/s, 16 rows
# 100-121 -> 112-128; float64 61 -> 65; same results: each output's chain of FMAs does not depend on its block)
VECTORS = 4 if VECTOR_BYTES == 64 else 2
PANEL_BYTES = VECTORS * VECTOR_BYTES
KC = 128                        # k per slice: a float32 panel slice is 32 kB (AVX2: 8 kB), in a 32-48 kB L1
STRIDED_ROWS = 64               # rows of v per copied slice when v's rows are not contiguous (packed_products)
_I32 = ir.IntType(32)


class _Vectors:
    """The LLVM IR pieces both code generators use for one dtype: its vector of VECTOR_BYTES, masked loads and
    stores of it, splats, masks and pointers into 2-d arrays (rows strided)."""

    def __init__(self, context, builder, dtype, intp):
        self.builder, self.intp = builder, intp
        self.scalar = context.get_value_type(dtype)
        self.size = context.get_abi_sizeof(self.scalar)
        self.W = W = VECTOR_BYTES // self.size
        self.vec, self.mask_t = ir.VectorType(self.scalar, W), ir.VectorType(ir.IntType(1), W)
        vec_ptr = ir.PointerType(self.vec)
        name = f"v{W}f{8 * self.size}"
        module = builder.module
        self.fma = cgutils.get_or_insert_function(module, ir.FunctionType(self.vec, [self.vec] * 3), f"llvm.fma.{name}")
        self._load = cgutils.get_or_insert_function(
            module, ir.FunctionType(self.vec, [vec_ptr, _I32, self.mask_t, self.vec]), f"llvm.masked.load.{name}.p0")
        self._store = cgutils.get_or_insert_function(
            module, ir.FunctionType(ir.VoidType(), [self.vec, vec_ptr, _I32, self.mask_t]),
            f"llvm.masked.store.{name}.p0")
        self.align = ir.Constant(_I32, self.size)
        self.zero = ir.Constant(self.vec, [0.0] * W)

    def const(self, i):
        return ir.Constant(self.intp, i)

    def load(self, ptr, mask):
        """The lanes of *ptr where mask is set, zero elsewhere (no memory touched there)."""
        return self.builder.call(self._load, [ptr, self.align, mask, self.zero])

    def store(self, value, ptr, mask):
        self.builder.call(self._store, [value, ptr, self.align, mask])

    def splat(self, x, t):
        """A vector of type t with x in every lane."""
        one = self.builder.insert_element(ir.Constant(t, ir.Undefined), x, ir.Constant(_I32, 0))
        lane0 = ir.Constant(ir.VectorType(_I32, self.W), [0] * self.W)
        return self.builder.shuffle_vector(one, ir.Constant(t, ir.Undefined), lane0)

    def all_or_none(self, flag):
        """A mask with every lane set when flag (an i1) is true, none when false."""
        return self.builder.select(flag, ir.Constant(self.mask_t, [1] * self.W), ir.Constant(self.mask_t, [0] * self.W))

    def below(self, lanes, bound):
        """The mask lanes < bound, lanes a constant vector of indices."""
        return self.builder.icmp_signed("<", lanes, self.splat(bound, lanes.type))

    def lanes(self, first):
        return ir.Constant(ir.VectorType(self.intp, self.W), list(range(first, first + self.W)))

    def at(self, ary, row, col):
        """Pointer to the vector at ary[row, col] (columns contiguous)."""
        b = self.builder
        stride = cgutils.unpack_tuple(b, ary.strides)[0]
        offset = b.add(b.mul(row, stride), b.mul(col, self.const(self.size)))
        return b.bitcast(cgutils.pointer_add(b, ary.data, offset), ir.PointerType(self.vec))

    def element(self, ary, row, col):
        """Pointer to the scalar ary[row, col] (any strides)."""
        b = self.builder
        strides = cgutils.unpack_tuple(b, ary.strides)
        offset = b.add(b.mul(row, strides[0]), b.mul(col, strides[1]))
        return b.bitcast(cgutils.pointer_add(b, ary.data, offset), self.scalar.as_pointer())


def _codegen_block(MR, one_vector=False, plain_stores=True):
    """LLVM IR for out[b:b+MR, n:n+valid] (+)= v[b:b+MR, k0:k1] @ panel[k0:k1, o:o+valid]: each product summed
    in registers from zero (one chain of FMAs in k order), then stored, or added to out (accumulate).
    one_vector: only the one-vector block (the caller keeps valid <= one vector's lanes). plain_stores=False:
    masked stores for whole vectors too (the baseline of benchmarks/probes/stores_ab.py)."""
    def codegen(context, builder, sig, args):
        out, v, panel = (context.make_array(t)(context, builder, a) for t, a in zip(sig.args[:3], args[:3]))
        b, n, o, valid, k0, k1, accumulate = args[3:]
        V = _Vectors(context, builder, sig.args[0].dtype, b.type)
        W, const = V.W, V.const
        masks = [V.below(V.lanes(j * W), valid) for j in range(VECTORS)]
        keep = V.all_or_none(accumulate)

        def block(NV):
            """The block with NV vectors per row (a range narrower than the panel skips the empty ones). Whole
            vectors are loaded from the panel even where the range starts or ends inside one (AVX2's masked
            loads halve the FMA rate: one thread, float32, 64 x 1024 x 256 41 against 75 GFLOP/s): their other
            lanes (zero padding, neighbouring columns, the next panel row, or the vector of slack pack() leaves
            after the last) feed only accumulator lanes that are never stored."""
            acc = [[cgutils.alloca_once_value(builder, V.zero) for j in range(NV)] for r in range(MR)]
            with cgutils.for_range_slice(builder, k0, k1, const(1), inc=True) as (k, _):
                w = [builder.load(V.at(panel, k, builder.add(o, const(j * W))), align=V.size) for j in range(NV)]
                for r in range(MR):
                    xs = V.splat(builder.load(V.element(v, builder.add(b, const(r)), k)), V.vec)
                    for j in range(NV):
                        builder.store(builder.call(V.fma, [xs, w[j], builder.load(acc[r][j])]), acc[r][j])
            def store(masked):
                for r in range(MR):
                    for j in range(NV):
                        where = V.at(out, builder.add(b, const(r)), builder.add(n, const(j * W)))
                        total = builder.load(acc[r][j])
                        if masked:
                            before = V.load(where, builder.and_(masks[j], keep))
                            V.store(builder.select(accumulate, builder.fadd(before, total), total), where, masks[j])
                        else:
                            before = builder.load(where, align=V.size)
                            builder.store(builder.select(accumulate, builder.fadd(before, total), total), where,
                                          align=V.size)

            if not plain_stores:
                store(True)
                return
            # whole vectors to store: plain loads and stores. AVX2's masked stores are slow on AMD Zen 3, and a
            # block stores once per k slice: one thread, float32, gemm's order, 60 x 512 x 2048 47 -> 59 GFLOP/s
            # (15 of 15 alternating, benchmarks/probes/stores_ab.py); gemm on 2 threads, 2048 x 512 x 2048,
            # median 81-82 -> 110 (gemm_rate.py)
            with builder.if_else(builder.icmp_signed(">=", valid, const(NV * W))) as (whole, part):
                with whole:
                    store(False)
                with part:
                    store(True)

        if one_vector:
            block(1)
            return context.get_dummy_value()
        # 1, 2 or all 4 vectors (3 take 4, one masked off): fewer copies of the loop to compile
        vectors = builder.sdiv(builder.add(valid, const(W - 1)), const(W))
        done = builder.append_basic_block("done")
        switch = builder.switch(vectors, done)
        for NV, counts in ((1, (1,)), (2, (2,)), (VECTORS, (3, 4))):
            case = builder.append_basic_block(f"vectors{NV}")
            for count in counts:
                switch.add_case(const(count), case)
            builder.position_at_end(case)
            block(NV)
            builder.branch(done)
        builder.position_at_end(done)
        return context.get_dummy_value()
    return codegen


def _block(MR, one_vector=False, plain_stores=True):
    @intrinsic
    def block(typingctx, out, v, panel, b, n, o, valid, k0, k1, accumulate):
        arrays = (out, v, panel)
        if any(not isinstance(a, types.Array) or a.ndim != 2 or a.dtype != out.dtype
               or a.dtype not in (types.float32, types.float64) for a in arrays) or "C" != out.layout \
                or "C" != panel.layout:
            raise TypingError("cpu_packed: out, v and panel must be 2-d float arrays of one dtype, out and panel "
                              "C-contiguous")
        return types.void(*arrays, *[types.intp] * 6, types.boolean), _codegen_block(MR, one_vector, plain_stores)
    return block


_block1, _block2, _block4, _block6 = (_block(MR) for MR in (1, 2, 4, 6))
# one vector of columns (matmul's few-rows case: a T=16, B=1 projection): 12 rows keep 12 chains of FMAs in flight
# where 6 would wait on the FMA latency
_block12 = _block(12, one_vector=True)


def _codegen_row(NP):
    """LLVM IR for out[b, n:n+NP*PW] (+)= v[b, k0:k1] @ P[p:p+NP, k0:k1, :]: one row against NP whole panels at
    once, NP * VECTORS accumulators (the products of a single sequence: one row of _block1 keeps a panel's VECTORS
    chains in flight, too few for the FMA latency). Each output is the same chain of FMAs in k order from zero
    as in _codegen_block, and is stored or added to out the same way: the same bits."""
    def codegen(context, builder, sig, args):
        out, v, P = (context.make_array(t)(context, builder, a) for t, a in zip(sig.args[:3], args[:3]))
        b, n, p, k0, k1, accumulate = args[3:]
        V = _Vectors(context, builder, sig.args[0].dtype, b.type)
        W, const = V.W, V.const
        stride_p, stride_k = cgutils.unpack_tuple(builder, P.strides)[:2]

        def at_panel(q, k, col):
            offset = builder.add(builder.add(builder.mul(builder.add(p, const(q)), stride_p),
                                             builder.mul(k, stride_k)), const(col * V.size))
            return builder.bitcast(cgutils.pointer_add(builder, P.data, offset), ir.PointerType(V.vec))

        acc = [[cgutils.alloca_once_value(builder, V.zero) for j in range(VECTORS)] for q in range(NP)]
        with cgutils.for_range_slice(builder, k0, k1, const(1), inc=True) as (k, _):
            xs = V.splat(builder.load(V.element(v, b, k)), V.vec)
            for q in range(NP):
                for j in range(VECTORS):
                    w = builder.load(at_panel(q, k, j * W), align=V.size)
                    builder.store(builder.call(V.fma, [xs, w, builder.load(acc[q][j])]), acc[q][j])
        PW = VECTORS * W
        for q in range(NP):
            for j in range(VECTORS):
                where = V.at(out, b, builder.add(n, const(q * PW + j * W)))
                total = builder.load(acc[q][j])
                before = builder.load(where, align=V.size)
                builder.store(builder.select(accumulate, builder.fadd(before, total), total), where, align=V.size)
        return context.get_dummy_value()
    return codegen


def _row(NP):
    @intrinsic
    def row(typingctx, out, v, P, b, n, p, k0, k1, accumulate):
        if not (isinstance(out, types.Array) and isinstance(v, types.Array) and isinstance(P, types.Array)) \
                or out.ndim != 2 or v.ndim != 2 or P.ndim != 3 or not out.dtype == v.dtype == P.dtype \
                or out.dtype not in (types.float32, types.float64) or out.layout != "C" or P.layout != "C":
            raise TypingError("cpu_packed: out, v and P must be float arrays of one dtype, out [M, N] and P "
                              "[panels, K, PW] C-contiguous, v [M, K]")
        return types.void(out, v, P, *[types.intp] * 5, types.boolean), _codegen_row(NP)
    return row


# panels a single row takes at once: 4 x VECTORS accumulators (16 of AVX-512's 32 registers, 8 of AVX2's 16)
ROW_PANELS = 4
_row4, _row2 = _row(4), _row(2)


@numba.njit(cache=config.CACHE, nogil=True, inline="always")
def _pack_into(P, m, PW, k0, k1):
    K, N = m.shape
    rows_contiguous = m.strides[1] == m.itemsize
    for p in range(P.shape[0]):
        n0, n1 = p * PW, min(N, p * PW + PW)
        panel = P[p]
        for k in range(k0, k1):
            dst = panel[k]
            if rows_contiguous:
                src = m[k]
                for j in range(n1 - n0):
                    dst[j] = src[n0 + j]
            else:
                for j in range(n1 - n0):
                    dst[j] = m[k, n0 + j]
            for j in range(n1 - n0, PW):
                dst[j] = 0


@numba.njit(cache=config.CACHE, nogil=True, inline="always")
def pack_copy(P, m, k0, k1):
    """Rows k0..k1-1 of every panel of P = pack(m), one panel row at a time: for m = W.T, consecutive rows k read
    the next element of the same PW rows of W, so the cache lines read stay in L1 for 16 (float32) or 8
    (float64) rows. PW is a constant of each branch (with PW computed from the itemsize the copy loops do not
    vectorise: 3x slower)."""
    if m.itemsize == 4:
        _pack_into(P, m, PANEL_BYTES // 4, k0, k1)
    else:
        _pack_into(P, m, PANEL_BYTES // 8, k0, k1)


@numba.njit(**config.JIT)
def _pack_copy(P, m):
    pack_copy(P, m, 0, m.shape[0])


def _codegen_transpose(context, builder, sig, args):
    """panel[k0 + kk, j0 + i] = w[n0 + i, k0 + kk] for i < W, kk < cols (W = the lanes of one vector; zero for
    i >= rows): W masked loads of w's rows, log2(W) rounds of two-vector shuffles, one masked store per kk."""
    panel, w = (context.make_array(t)(context, builder, a) for t, a in zip(sig.args[:2], args[:2]))
    n0, k0, j0, rows, cols = args[2:]
    V = _Vectors(context, builder, sig.args[0].dtype, n0.type)
    W, const = V.W, V.const
    def transpose(whole):
        if whole:
            r = [builder.load(V.at(w, builder.add(n0, const(i)), k0), align=V.size) for i in range(W)]
        else:
            in_k = V.below(V.lanes(0), cols)
            r = [V.load(V.at(w, builder.add(n0, const(i)), k0),
                        builder.and_(in_k, V.all_or_none(builder.icmp_signed("<", const(i), rows)))) for i in range(W)]
        bit = 1
        while bit < W:            # swap bit `bit` of the vector index with bit `bit` of the lane index
            for a in range(W):
                if a & bit:
                    continue
                b = a | bit
                low = [j if not j & bit else W + (j ^ bit) for j in range(W)]
                high = [j | bit if not j & bit else W + j for j in range(W)]
                r[a], r[b] = (builder.shuffle_vector(r[a], r[b], ir.Constant(ir.VectorType(_I32, W), m))
                              for m in (low, high))
            bit *= 2
        for kk in range(W):
            where = V.at(panel, builder.add(k0, const(kk)), j0)
            if whole:
                builder.store(r[kk], where, align=V.size)
            else:
                V.store(r[kk], where, V.all_or_none(builder.icmp_signed("<", const(kk), cols)))

    # a whole block with plain loads and stores (masked ones are slow on AMD Zen 3: the block's comment)
    whole = builder.and_(builder.icmp_signed(">=", rows, const(W)), builder.icmp_signed(">=", cols, const(W)))
    with builder.if_else(whole) as (then, otherwise):
        with then:
            transpose(True)
        with otherwise:
            transpose(False)
    return context.get_dummy_value()


@intrinsic
def transpose_block(typingctx, panel, w, n0, k0, j0, rows, cols):
    """panel[k0 + kk, j0 + i] = w[n0 + i, k0 + kk] for i < W, kk < cols (zero for i >= rows), W = one vector's
    lanes: every lane i < W of the cols rows of panel is written."""
    if any(not isinstance(a, types.Array) or a.ndim != 2 or a.layout != "C" or a.dtype != panel.dtype
           or a.dtype not in (types.float32, types.float64) for a in (panel, w)):
        raise TypingError("cpu_packed: panel and w must be C-contiguous 2-d float arrays of one dtype")
    return types.void(panel, w, *[types.intp] * 5), _codegen_transpose


@numba.njit(cache=config.CACHE, nogil=True, inline="always")
def pack_transposed(P, w, p0, p1):
    """Panels p0..p1-1 of P = pack(w.T) for w [N, K] C-contiguous, in blocks of W x W (one vector's lanes)
    transposed in registers."""
    N, K = w.shape
    W = VECTOR_BYTES // w.itemsize
    PW = PANEL_BYTES // w.itemsize
    for p in range(p0, p1):
        panel = P[p]
        for j0 in range(0, PW, W):
            n0 = p * PW + j0
            rows = min(W, max(0, N - n0))
            for k0 in range(0, K, W):
                transpose_block(panel, w, n0, k0, j0, rows, min(W, K - k0))


@numba.njit(**config.JIT)
def _pack_transposed(P, w):
    pack_transposed(P, w, 0, P.shape[0])


def empty_panels(m):
    """The uninitialised P that pack(m) fills (its docstring says how it is allocated)."""
    K, N = m.shape
    PW = PANEL_BYTES // m.itemsize
    panels = (N + PW - 1) // PW
    n = panels * K * PW
    if n * m.itemsize < ALIGN_FROM_BYTES:
        return np.empty(n + PW, m.dtype)[:n].reshape(panels, K, PW)
    return cpu_pool.line(n * m.itemsize, slack=PW * m.itemsize).view(m.dtype).reshape(panels, K, PW)


# panels of this many bytes or more start on a line (pack); smaller ones are read a few times in a call (a T=16,
# B=1 projection packs x), and finding a line costs ~1.1 us more from Python (empty_panels 1.71 vs 0.56 us)
ALIGN_FROM_BYTES = 1 << 16


def transposed(m):
    """Whether pack(m) reads m as W.T (F-contiguous, not C): the transposing copy."""
    return m.flags.f_contiguous and not m.flags.c_contiguous


def pack(m):
    """The panels P [ceil(N / PW), K, PW] of m [K, N], C- or F-contiguous. For m = W.T (F), square blocks of W
    (one vector's lanes wide) are transposed in registers: float32, per weight, against the element-wise copy
    that m = W keeps, median of 41, same process: 256 x 64 0.63 -> 0.30 ns, 1024 x 256 0.54 -> 0.35, 2048 x 512
    0.92 -> 0.36 (a plain copy of W: 0.27-0.29); float64 0.50-0.75 either way (memory-bound).

    P starts on a cache line from ALIGN_FROM_BYTES up (its rows are whole lines: every panel load is one line, not
    two; NumPy's own arrays start on 16 bytes): float32, 2 threads, session 19's Intel VM, median ms, NumPy's start
    vs a line (benchmarks/probes/align_panels_ab.py): matmul 2048 x 512 x 2048 14.98 -> 14.18, LSTM forward T=128
    B=16 H=256 8.48 -> 7.64, B=64 H=512 125.1 -> 118.9, forward+backward T=128 B=64 H=256 107.3 -> 100.8.
    P is allocated from Python, not inside the kernel: NumPy asks for transparent huge pages from 4 MB up, Numba's
    allocator does not, and a fresh 4 kB page costs ~1.6 us to fault in here (64 MB: 27 ms against 3.8 ms); from
    config.CPU_POOL_MIN_BYTES up it is memory an earlier call's panels had (cpu_pool). One vector of slack
    follows the last panel row: the micro-kernel loads whole vectors (packed_products)."""
    P = empty_panels(m)
    if transposed(m):
        _pack_transposed(P, m.T)
    else:
        _pack_copy(P, m)
    return P


@numba.njit(cache=config.CACHE, nogil=True, inline="always")
def _slice_rows(out, v, panel, n, o, valid, k0, k1, b0, b1, accumulate):
    """out[b0:b1, n:n+valid] (+)= v[b0:b1, k0:k1] @ panel[k0:k1, o:o+valid] in blocks of rows."""
    b = b0
    if VECTORS * valid <= panel.shape[1]:
        while b + 12 <= b1:
            _block12(out, v, panel, b, n, o, valid, k0, k1, accumulate)
            b += 12
    while b + 6 <= b1:
        _block6(out, v, panel, b, n, o, valid, k0, k1, accumulate)
        b += 6
    if b + 4 <= b1:
        _block4(out, v, panel, b, n, o, valid, k0, k1, accumulate)
        b += 4
    if b + 2 <= b1:
        _block2(out, v, panel, b, n, o, valid, k0, k1, accumulate)
        b += 2
    if b < b1:
        _block1(out, v, panel, b, n, o, valid, k0, k1, accumulate)


@numba.njit(**config.JIT)
def packed_products(out, P, v, n0, n1, b0=0, b1=-1, ka=0, kb=-1, add=False):
    """out[b, n] = sum_k v[b, k] * m[k, n] for n in [n0, n1), b in [b0, b1) (b1 = -1: every row of v) and k in
    [ka, kb) (kb = -1: all of K; ka > 0 or add: adds to out what an earlier call over the k before left there,
    add for one on another pack whose k came earlier), P = pack(m).
    Any n0, n1 (a range may start inside a panel); ka a multiple of KC, so that every k slice is the same as in
    one call over all of K: each slice is summed from zero and then added to out.

    Panel by panel, each over its k slices; but when v's rows are not contiguous (a weight gradient's v = dA^T,
    each k a row of dA far from the next) and the range spans more than one panel: in tasks of STRIDED_ROWS
    rows of v, k slice by slice, the slice is copied as it lies (KC short rows of dA) into a small buffer that
    every panel then reads in L1, not v's scattered cache lines and pages once per panel. Same sums either way:
    each output still adds its slices in k order."""
    if b1 < 0:
        b1 = v.shape[0]
    if kb < 0:
        kb = P.shape[1]
    PW = P.shape[2]
    if v.strides[1] != v.itemsize and n1 - n0 > PW:
        buf = np.empty((KC, min(STRIDED_ROWS, b1 - b0)), v.dtype)
        vb = buf.T
        for r0 in range(b0, b1, STRIDED_ROWS):
            r1 = min(b1, r0 + STRIDED_ROWS)
            rows = out[r0:r1]
            for k0 in range(ka, kb, KC):
                k1 = min(kb, k0 + KC)
                for k in range(k1 - k0):
                    for i in range(r1 - r0):
                        buf[k, i] = v[r0 + i, k0 + k]
                n = n0
                while n < n1:
                    o = n % PW
                    valid = min(PW - o, n1 - n)
                    _slice_rows(rows, vb, P[n // PW][k0:k1], n, o, valid, 0, k1 - k0, 0, r1 - r0, add or k0 > 0)
                    n += valid
        return
    packed_rows(out, P, v, n0, n1, b0, b1, ka, kb, add)


@numba.njit(**config.JIT)
def packed_rows(out, P, v, n0, n1, b0=0, b1=-1, ka=0, kb=-1, add=False):
    """packed_products panel by panel, for a v read as it lies (any strides; the copy packed_products makes of a
    strided v over several panels is not made here): no allocation, so the time loops' per-step helpers, which
    Numba compiles without its reference counting (cpu_common.compile_thread_loop), can call it."""
    if b1 < 0:
        b1 = v.shape[0]
    if kb < 0:
        kb = P.shape[1]
    PW = P.shape[2]
    n = n0
    while n < n1:
        o = n % PW
        valid = min(PW - o, n1 - n)
        whole = (n1 - n) // PW if o == 0 and b1 - b0 == 1 else 0     # one row: whole panels side by side
        if whole >= 2:
            p = n // PW
            taken = ROW_PANELS if whole >= ROW_PANELS else 2
            for k0 in range(ka, kb, KC):
                if taken == ROW_PANELS:
                    _row4(out, v, P, b0, n, p, k0, min(kb, k0 + KC), add or k0 > 0)
                else:
                    _row2(out, v, P, b0, n, p, k0, min(kb, k0 + KC), add or k0 > 0)
            n += taken * PW
            continue
        panel = P[n // PW]
        for k0 in range(ka, kb, KC):
            _slice_rows(out, v, panel, n, o, valid, k0, min(kb, k0 + KC), b0, b1, add or k0 > 0)
        n += valid
