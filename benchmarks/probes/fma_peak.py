"""The CPU's float32 multiply-add ceiling as gatecore's kernels can use it: a loop of 24 independent chains of
full-width vector FMAs (cpu_packed's vectors: 64 bytes with AVX-512, else 32; all in registers, no memory), on one
thread and on every Numba thread at once (prange), GFLOP/s, best and median of 7 runs of ~0.2 s.
Run: python benchmarks/probes/fma_peak.py"""
import time
import numba
import numpy as np
from llvmlite import ir
from numba import prange, types
from numba.core import cgutils
from numba.extending import intrinsic
from gatecore.cpu_packed import VECTOR_BYTES

W = VECTOR_BYTES // 4
CHAINS = 24


@intrinsic
def _fmas(typingctx, n):
    def codegen(context, builder, sig, args):
        vec = ir.VectorType(ir.FloatType(), W)
        fma = cgutils.get_or_insert_function(builder.module, ir.FunctionType(vec, [vec] * 3), f"llvm.fma.v{W}f32")
        a = ir.Constant(vec, [1.0000001] * W)
        b = ir.Constant(vec, [1e-7] * W)
        acc = [cgutils.alloca_once_value(builder, ir.Constant(vec, [float(i)] * W)) for i in range(CHAINS)]
        with cgutils.for_range(builder, args[0]):
            for p in acc:
                builder.store(builder.call(fma, [builder.load(p), a, b]), p)
        total = builder.load(acc[0])
        for p in acc[1:]:
            total = builder.fadd(total, builder.load(p))
        return builder.extract_element(total, ir.Constant(ir.IntType(32), 0))
    return types.float32(types.int64), codegen


@numba.njit
def one(n):
    return _fmas(n)


@numba.njit(parallel=True)
def every(n, threads):
    out = np.zeros(threads, np.float32)
    for t in prange(threads):
        out[t] = _fmas(n)
    return out.sum()


def rate(f, flops):
    f()
    ts = []
    for _ in range(7):
        t0 = time.perf_counter()
        f()
        ts.append(time.perf_counter() - t0)
    return flops / min(ts) / 1e9, flops / np.median(ts) / 1e9


n = 2_000_000
threads = numba.get_num_threads()
per_call = 2 * W * CHAINS * n
print(f"vector {VECTOR_BYTES} bytes, {CHAINS} chains")
print("one thread: best %.0f, median %.0f GFLOP/s" % rate(lambda: one(n), per_call))
print(f"{threads} threads: best %.0f, median %.0f GFLOP/s" % rate(lambda: every(n, threads), per_call * threads))
