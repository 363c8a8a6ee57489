"""Every tuning knob of gatecore in one place."""
import os

# Numba CPU kernels
# The kernels compute exactly the operations written (no fast-math): with FMA contraction LLVM chose which
# product of `f * c_prev + i * g` to fuse differently when a kernel was compiled in this process and when it was
# loaded from the on-disk cache, so an LSTM gave other bits in a process that compiled it (tests/
# test_cache_bitwise.py). Only the dot products of cpu_common.products reassociate, so that they vectorise;
# never nnan/ninf, so NaN and Inf propagate.
FASTMATH = False
DOT_FASTMATH = {"reassoc"}
CACHE = True                     # Numba on-disk cache, so a second process pays no compile
# below this many multiply-adds per time step the recurrent product and pointwise pass run on one thread;
# above it, the hidden units are split over Numba's threads with prange (one region per pass, ~4 us each
# here). Measured on the 2-core machine, LSTM T=128 forward, best of 15, 1 vs 2 threads: B=16 H=256 (4.2M)
# 27 vs 21 ms; B=16 H=64 3.0 vs 3.6 ms; B=4 H=256 (1M) fwd+bwd 17 vs 25 ms.
CPU_PARALLEL_MIN_WORK = int(os.environ.get("GATECORE_CPU_PARALLEL_MIN_WORK", 1 << 22))
# ... or when w_hh has this many elements: a matrix-vector product that streams 1 MB of weights per step is
# bound by the cache, and two cores bring two caches (B=1 forward, 1 vs 2 threads: LSTM H=512 20.7 vs 11.3 ms,
# GRU H=512 15.8 vs 7.8 ms, LSTM H=256 3.5 vs 2.9 ms, T=128)
CPU_PARALLEL_MIN_WEIGHTS = int(os.environ.get("GATECORE_CPU_PARALLEL_MIN_WEIGHTS", 1 << 18))
# a step (forward; LSTM and RNN backward) is cut into blocks of batch rows, one per thread
# (cpu_common.step_split), from this many multiply-adds up when every thread gets at least 4 rows: whole rows need
# no work twice, so it pays from smaller steps than cutting the hidden units does
CPU_ROW_SPLIT_MIN_WORK = int(os.environ.get("GATECORE_CPU_ROW_SPLIT_MIN_WORK", 1 << 18))
# ... and while W_hh has at most this many elements: with more, every thread streaming all of them each step (from
# L3: L2 is 1.25 MB per core here) costs more than the unit split's duplicated per-row work. Forward, interleaved,
# median of 25, batch rows vs units: LSTM H=512 (1M) T=32 B=16 12.96 vs 11.87 ms, B=32 21.4 vs 20.4, T=128 B=16
# 46.6 vs 42.7, B=64 even; GRU H=512 (786K) B=16 10.2 vs 8.9; but LSTM H=256 (262K) B=32 5.46 vs 5.83 and GRU
# H=256 B=16 2.60 vs 3.43
CPU_ROW_SPLIT_MAX_WEIGHTS = int(os.environ.get("GATECORE_CPU_ROW_SPLIT_MAX_WEIGHTS", 1 << 19))
# A single sequence's recurrent product runs on packed W_hh from this many steps up (cpu_common.panels)
CPU_PACKED_MIN_STEPS = 32
# The GEMMs around the time loop (cpu_common.gemm) run on Numba's threads, in tasks of this many rows, from
# CPU_PARALLEL_MIN_WORK multiply-adds up
CPU_ROW_BLOCK = 64

# CUDA kernels
_CUDASIM = os.environ.get("NUMBA_ENABLE_CUDASIM") == "1"    # one Python thread per CUDA thread: keep blocks small
CUDA_THREADS_PER_BLOCK = int(os.environ.get("GATECORE_CUDA_TPB", 16 if _CUDASIM else 256))
# GEMM tile edge (tile^2 threads per block); fixed when cuda_common is first imported
CUDA_GEMM_TILE = int(os.environ.get("GATECORE_CUDA_GEMM_TILE", 4 if _CUDASIM else 16))
# the persistent recurrent kernel keeps each block's slice of w_hh in this many float32 of static shared
# memory (fixed at import; 46 KB stays under the 48 KB static limit); bigger slices take the per-step path
CUDA_SHARED_FLOATS = int(os.environ.get("GATECORE_CUDA_SHARED_FLOATS", 11776))
# False forces one fused launch per step (the fallback) even where the persistent kernel would fit
CUDA_PERSISTENT = os.environ.get("GATECORE_CUDA_PERSISTENT", "1") == "1"
