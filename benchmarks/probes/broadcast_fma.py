"""What a scalar broadcast from memory costs a chain of FMAs: 12 independent chains of full-width float32 vector
FMAs (cpu_packed's vectors), the multiplier a register, or a scalar loaded and broadcast for every FMA (what the
one-vector 12-row block of matmul's few-rows product does) or for every 2 or 4 FMAs; the scalars of one pass
`stride` bytes apart (a block's rows of W_ih), each stream advancing 4 bytes a pass. GFLOP/s on one thread,
best of 7. Run: NUMBA_NUM_THREADS=1 python benchmarks/probes/broadcast_fma.py"""
import time

import numba
import numpy as np
from llvmlite import ir
from numba import types
from numba.core import cgutils
from numba.extending import intrinsic

from gatecore.cpu_packed import VECTOR_BYTES

W = VECTOR_BYTES // 4
CHAINS = 12


def make(share, mem, stride):
    @intrinsic
    def fmas(typingctx, n, arr):
        def codegen(context, builder, sig, args):
            vec = ir.VectorType(ir.FloatType(), W)
            fma = cgutils.get_or_insert_function(builder.module, ir.FunctionType(vec, [vec] * 3), f"llvm.fma.v{W}f32")
            a = context.make_array(sig.args[1])(context, builder, args[1])
            add = ir.Constant(vec, [1e-7] * W)
            factor = ir.Constant(vec, [1.0000001] * W)
            lane0 = ir.Constant(ir.VectorType(ir.IntType(32), W), [0] * W)
            acc = [cgutils.alloca_once_value(builder, ir.Constant(vec, [float(i)] * W)) for i in range(CHAINS)]
            with cgutils.for_range(builder, args[0]) as loop:
                for c, p in enumerate(acc):
                    if mem and c % share == 0:
                        at = builder.add(loop.index, ir.Constant(loop.index.type, c // share * stride // 4))
                        one = builder.insert_element(ir.Constant(vec, ir.Undefined), builder.load(builder.gep(a.data, [at])),
                                                     ir.Constant(ir.IntType(32), 0))
                        factor_now = builder.shuffle_vector(one, ir.Constant(vec, ir.Undefined), lane0)
                    builder.store(builder.call(fma, [builder.load(p), factor_now if mem else factor, add]), p)
            total = builder.load(acc[0])
            for p in acc[1:]:
                total = builder.fadd(total, builder.load(p))
            return builder.extract_element(total, ir.Constant(ir.IntType(32), 0))
        return types.float32(types.intp, arr), codegen

    @numba.njit(cache=False)
    def run(n, arr):
        return fmas(n, arr)
    return run


arr = np.full(1 << 22, 1.0, np.float32)
n = 1 << 16
for share, mem, stride in ((1, False, 4), (1, True, 4), (1, True, 64), (1, True, 1024), (1, True, 4096),
                           (2, True, 1024), (4, True, 1024)):
    run = make(share, mem, stride)
    run(1000, arr)
    ts = []
    for _ in range(7):
        t0 = time.perf_counter()
        run(n, arr)
        ts.append(time.perf_counter() - t0)
    what = f"a broadcast per {share} FMA, scalars {stride} B apart" if mem else "register multiplier"
    print(f"{CHAINS} chains, {what}: {2 * W * CHAINS * n / min(ts) / 1e9:.0f} GFLOP/s", flush=True)
