"""The scalar activations as the CPU kernels compile them: float32 math stays in float32.

`activations.py` is written once for both targets with Python float literals, so in Numba a float32 argument is
promoted to float64 and every σ and tanh becomes a libm call in double precision (about 20-40 ns each, the
largest share of a small-batch step). Here each function is overloaded by type:

    float64:  the libm functions, exactly as activations.py (the 1e-10 tolerance needs them)
    float32:  tanh(a) = p(a) / q(a), a rational minimax fit on [-c, c] (c = 7.9053, where tanh rounds to 1 in
              float32) — Eigen's `generic_fast_tanh_float`, max error a few ulp — and σ(a) = 0.5 + 0.5 tanh(a/2);
              only fused multiply-adds and one division, so it needs no libm call and vectorises. The
              polynomials are evaluated in Estrin's scheme (powers x^2, x^4, x^8, then pairs of terms), not
              Horner's: a cell's five activations were one chain of ~70 dependent operations per vector, and the
              LSTM's pointwise pass ran at the latency of that chain (3.0 ns per unit at H = 1024 on one core).
              The FMAs are explicit (`fma`), so the compiled code is the same wherever it is compiled.

NaN propagates (the saturation compares, it does not use min/max) and ±Inf saturate to ±1 (σ: 0 or 1).
`namespace` (its `tanh`) stands in for the `math` module in the scope of cell.py's functions (see
cpu_common.compile_pointwise).
"""
from __future__ import annotations

import math
import types

import numpy as np
from llvmlite import ir
from numba import njit
from numba import types as nbtypes
from numba.core import cgutils
from numba.extending import intrinsic, overload

from . import activations, config

_f = np.float32
_CLAMP = _f(7.90531110763549805)
_A1, _A3, _A5, _A7 = _f(4.89352455891786e-03), _f(6.37261928875436e-04), _f(1.48572235717979e-05), _f(
    5.12229709037114e-08)
_A9, _A11, _A13 = _f(-8.60467152213735e-11), _f(2.00018790482477e-13), _f(-2.76076847742355e-16)
_B0, _B2, _B4, _B6 = _f(4.89352518554385e-03), _f(2.26843463243900e-03), _f(1.18534705686654e-04), _f(
    1.19825839466702e-06)
_HALF, _ONE = _f(0.5), _f(1.0)
# float64: activations.py itself, compiled
_sigmoid64, _dsigmoid64, _dtanh64 = (njit(**config.JIT)(f) for f in (activations.sigmoid, activations.dsigmoid,
                                                                     activations.dtanh))


def tanh(a):
    """tanh on the CPU (float32: rational approximation; float64: libm)."""
    return math.tanh(a)


def sigmoid(a):
    """σ on the CPU (float32: 0.5 + 0.5 tanh(a/2); float64: activations.sigmoid)."""
    return activations.sigmoid(a)


def dsigmoid(s):
    """σ'(a) from s = σ(a), in s's precision."""
    return activations.dsigmoid(s)


def dtanh(t):
    """tanh'(a) from t = tanh(a), in t's precision."""
    return activations.dtanh(t)


@intrinsic
def fma(typingctx, a, b, c):
    """a * b + c rounded once (llvm.fma: one instruction, vectorised with the loop around it)."""
    if not (a == b == c and isinstance(a, nbtypes.Float)):
        return None

    def codegen(context, builder, sig, args):
        t = context.get_value_type(sig.return_type)
        fnty = ir.FunctionType(t, [t, t, t])
        f = cgutils.get_or_insert_function(builder.module, fnty, f"llvm.fma.{t.intrinsic_name}")
        return builder.call(f, args)
    return a(a, a, a), codegen


@njit(**config.JIT)
def _tanh32(a):
    x2 = a * a
    x4 = x2 * x2
    x8 = x4 * x4
    p = fma(x4, fma(x2, _A7, _A5), fma(x2, _A3, _A1)) + x8 * fma(x4, _A13, fma(x2, _A11, _A9))
    q = fma(x4, fma(x2, _B6, _B4), fma(x2, _B2, _B0))
    t = a * p / q               # outside [-c, c] this may overflow: the result is chosen below, as a select
    if a > _CLAMP:
        t = _ONE
    elif a < -_CLAMP:
        t = -_ONE
    return t


@overload(tanh)
def _tanh(a):
    if a == nbtypes.float32:
        return lambda a: _tanh32(a)
    return lambda a: math.tanh(a)


@overload(sigmoid)
def _sigmoid(a):
    if a == nbtypes.float32:
        return lambda a: fma(_HALF, _tanh32(_HALF * a), _HALF)
    return lambda a: _sigmoid64(a)


@overload(dsigmoid)
def _dsigmoid(s):
    if s == nbtypes.float32:
        return lambda s: s * (_ONE - s)
    return lambda s: _dsigmoid64(s)


@overload(dtanh)
def _dtanh(t):
    if t == nbtypes.float32:
        return lambda t: _ONE - t * t
    return lambda t: _dtanh64(t)


namespace = types.ModuleType("gatecore_cpu_math")
namespace.tanh = tanh
