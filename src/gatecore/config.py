"""Every tuning knob of gatecore in one place."""
import os

# Numba CPU kernels
FASTMATH = False                 # keep IEEE semantics: results must match the references bitwise-deterministically
CACHE = True                     # Numba on-disk cache, so a second process pays no compile
# below this many multiply-adds per time step the recurrent product runs on one thread (a parallel
# region costs ~1.5 us, see issue 8's measurements); above it, its rows are split with prange.
CPU_PARALLEL_MIN_WORK = int(os.environ.get("GATECORE_CPU_PARALLEL_MIN_WORK", 65536))

# CUDA kernels
CUDA_THREADS_PER_BLOCK = int(os.environ.get("GATECORE_CUDA_TPB", 256))
CUDA_GEMM_TILE = 16
