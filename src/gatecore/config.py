"""Every tuning knob of gatecore in one place."""
import os

# Numba CPU kernels
# reassociation and FMA contraction only (vectorised dot products); never nnan/ninf, so NaN and Inf propagate.
# Each product is still computed by one thread in one compiled order, so results stay bitwise reproducible.
FASTMATH = {"reassoc", "contract"}
CACHE = True                     # Numba on-disk cache, so a second process pays no compile
# below this many multiply-adds per time step the recurrent product and pointwise pass run on one thread;
# above it, the hidden units are split over Numba's threads with prange. A parallel region per step cost
# 50 us on the shared 2-core machine (T=128, B=1 LSTM forward, 1 vs 2 threads: H=64 1.2 vs 8.0 ms,
# H=256 10 vs 16 ms, H=512 28 vs 40 ms), so only steps of several million multiply-adds are split.
CPU_PARALLEL_MIN_WORK = int(os.environ.get("GATECORE_CPU_PARALLEL_MIN_WORK", 1 << 22))
# from this batch size up the recurrent product of a step is one BLAS GEMM (outside any prange) instead of
# the fused per-unit matrix-vector loops
CPU_BLAS_MIN_BATCH = int(os.environ.get("GATECORE_CPU_BLAS_MIN_BATCH", 16))

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
