"""Every tuning knob of gatecore in one place.

Set a knob as an attribute (`gatecore.config.CPU_FEED_ROWS = 0`, or monkeypatch.setattr): each assignment adds
one to `version`, which the plans cached by gatecore.cpu_compiled hold in their keys, so a plan made under one
setting is never used under another.
"""
import os
import sys
import types

# Numba CPU kernels
# The kernels compute exactly the operations written (no fast-math): with FMA contraction LLVM chose which
# product of `f * c_prev + i * g` to fuse differently when a kernel was compiled in this process and when it was
# loaded from the on-disk cache, so an LSTM gave other bits in a process that compiled it (tests/
# test_cache_bitwise.py). The products' fused multiply-adds are explicit (cpu_packed, cpu_dots); never nnan/ninf,
# so NaN and Inf propagate.
FASTMATH = False
# bytes per vector of the explicit-vector micro-kernels (cpu_packed, cpu_dots): 0 = by the CPU Numba compiles
# for, 64 where it has AVX-512, else 32 (AVX2: a 64-byte vector is two registers, and the kernels' blocks of
# accumulators, sized for 32 registers, spill from 16). 2-core AMD EPYC Zen 3 (AVX2), one thread, float32,
# 64 x 1024 x 256: 22 GFLOP/s with 64, 75 with 32 (benchmarks/probes/microkernel_rate.py)
CPU_VECTOR_BYTES = int(os.environ.get("GATECORE_CPU_VECTOR_BYTES", 0))
# Numba on-disk cache, so a second process pays no compile; off when the width is forced, because the cache's
# key holds the CPU but not the width (a forced width would load kernels compiled with the other one)
CACHE = CPU_VECTOR_BYTES == 0
# the options of every compiled CPU function that is not inlined (cpu_common.JIT): set, not left unset, because
# a Numba function without its own fastmath and error_model takes those of whatever compiled it first, and keeps
# that one version for every caller: a caller's @njit with Numba's default error_model "python" made packed_rows,
# and every time loop sharing it, 2.3x slower at B=1 H=64 (benchmarks/results/probes_session30.txt)
JIT = dict(cache=CACHE, nogil=True, fastmath=FASTMATH, error_model="numpy")
# below this many multiply-adds per time step the recurrent product and pointwise pass run on one thread;
# above it, the hidden units are split over Numba's threads (cpu_sync: one parallel region, a barrier per pass).
# Measured on the 2-core machine, LSTM T=128 forward, best of 15, 1 vs 2 threads: B=16 H=256 (4.2M)
# 27 vs 21 ms; B=16 H=64 3.0 vs 3.6 ms; B=4 H=256 (1M) fwd+bwd 17 vs 25 ms (with a region per step then).
CPU_PARALLEL_MIN_WORK = int(os.environ.get("GATECORE_CPU_PARALLEL_MIN_WORK", 1 << 22))
# ... or when w_hh has this many elements (forward): then reading the weights bounds a small-batch step, and two
# cores bring two caches. With a barrier per step (~0.3 us) instead of a region (~1.5 us) that pays from small
# weights up: LSTM forward, 2 threads, interleaved, median of 25, 8192 vs 2^18: T=128 B=1 H=64 0.31 vs 0.35 ms,
# H=128 0.46 vs 0.76, B=4 H=128 1.33 vs 1.47; GRU B=1 H=128 0.37 vs 0.56; but H=32 (4096) was slower split
# (Zen 4). On session 19's 2-vCPU Intel Sapphire Rapids class VM a barrier costs more (~0.7-1 us) and, with the
# panels on cache lines, one thread wins up to ~64K weights (measured with each panel's row on its own; the row's
# four panels at once, cpu_packed.packed_rows, gained ~5-10% more at H=64 after, none at H=128:
# probes_session19.txt): forward, B=1, split (W_hh's rows, as panels() chose above the limit) vs one thread (packed),
# median ms of blocks of 10 alternating calls (share of blocks one thread won): LSTM H=64 (16384 weights) T=128
# 0.234 vs 0.172 (100%), T=512 0.996 vs 0.588 (98%); GRU H=64 T=512 0.841 vs 0.479 (100%); LSTM H=128 (65536)
# T=128 0.538 vs 0.466, T=512 1.889 vs 1.645; GRU H=128 T=128 0.393 vs 0.355, T=512 1.409 vs 1.256; RNN H=256
# T=512 1.505 vs 1.463 (98-100% each); but LSTM H=160 (102400) T=128 0.675 vs 0.715, T=512 2.010 vs 2.560, H=192
# 0.884 vs 0.940, GRU H=192 (110592) T=512 2.562 vs 2.661, RNN H=320 1.764 vs 2.299 (0-2%). Hence 3 * 2^15
CPU_PARALLEL_MIN_WEIGHTS = int(os.environ.get("GATECORE_CPU_PARALLEL_MIN_WEIGHTS", 3 << 15))
# ... the same for the backward loops, whose steps have two or three passes (each a barrier): fwd+bwd with 8192
# vs 2^18: LSTM T=128 B=1 H=128 1.19 vs 1.43 ms, but H=64 even and B=4 H=64 1.31 vs 1.18, GRU B=4 H=64 2.87 vs
# 2.10 (B=1 H=128 2.17 vs 2.07). Session 19 (Intel VM, panels on cache lines), config_ab.py BLOCK=5,
# 2^16 vs 2^17: LSTM B=1 H=128 T=128 1.256 vs 1.146 ms (98%), T=512 6.46 vs 5.87, B=4 H=128 3.23 vs 2.74, RNN B=1
# H=256 T=512 3.78 vs 3.63 (100% each), GRU H=128 even; 2^17 vs 2^18: LSTM H=192 2.70 vs 2.67 (56%), B=4 8.08 vs
# 7.93 (77%), GRU H=256 3.14 vs 3.19 (11%), RNN H=448 9.56 vs 10.38 (0%)
CPU_PARALLEL_MIN_WEIGHTS_BACKWARD = int(os.environ.get("GATECORE_CPU_PARALLEL_MIN_WEIGHTS_BACKWARD", 1 << 17))
# a time loop is cut into blocks of batch rows, one per thread, each taken through every step in one parallel
# region (cpu_common.step_split), when every thread gets at least 4 rows and a step holds this many multiply-adds.
# With one region per call instead of one per step, that pays at every size measured: LSTM forward, 2 threads,
# interleaved, median of 25, rows vs the old rule (units, or one thread below 2^18 multiply-adds): T=128 B=8 H=64
# 0.62 vs 0.88 ms, B=8 H=8 0.24 vs 0.31, T=16 B=8 H=8 0.055 vs 0.063, T=4 B=8 H=16 even; H=512 B=16 T=128 53.4
# vs 69.0 ms, T=32 B=64 52.8 vs 56.4 (so W_hh's size no longer matters); GRU H=512 B=16 even. 0 = always; the
# tests raise it to force the other paths
CPU_ROW_SPLIT_MIN_WORK = int(os.environ.get("GATECORE_CPU_ROW_SPLIT_MIN_WORK", 0))
# ... but a forward loop whose recurrent weights are larger than this (bytes) is split by hidden units: each
# thread then streams its share of W_hh per step instead of all of it (an L2 here is 1 MB a core). Forward,
# float32, 2 threads, 2-core AMD EPYC Zen 5, units vs rows in one process, alternating, median (share of pairs
# units won): LSTM H=512 (4 MB) T=128 B=16 27.4 vs 30.3 ms (97%), T=16 B=16 3.97 vs 4.30 (95%), T=16 B=64
# 12.8 vs 12.6 (32%); H=384 (2.4 MB) T=128 B=16 16.1 vs 17.3 (97%); GRU H=512 (3 MB) T=128 B=16 21.5 vs 23.2
# (97%), T=16 B=16 3.48 vs 3.64 (87%), B=64 11.4 vs 11.7 (87%). The backward loops keep rows (LSTM H=512
# T=128 B=16 fwd+bwd 99.4 rows vs 108.5 units)
CPU_ROW_SPLIT_MAX_WEIGHT_BYTES = int(os.environ.get("GATECORE_CPU_ROW_SPLIT_MAX_WEIGHT_BYTES", 1 << 21))
# ... unless every thread gets this many rows: then a step is long (B/threads rows x all the units) and the
# barrier per step costs more than streaming all of W_hh instead of a share. 2-vCPU AMD EPYC Zen 4 (KVM), 1 MB
# L2 a core, forward, float32, rows vs units at H=512, in one process, alternating, median (share of pairs rows
# won): LSTM T=512 B=64 1036 -> 859 ms (80%), T=128 B=64 202 -> 193 (90%), T=16 B=64 34.0 -> 27.8 (97%), T=128
# B=32 100.5 -> 97.3 (70%), T=16 B=32 13.7 -> 13.0 (89%); GRU T=128 B=64 183 -> 146 (100%), T=16 B=64 25.4 ->
# 20.6 (96%), T=128 B=32 72.2 -> 70.1 (86%); at B=16 (8 rows a thread) 8.51 -> 8.14 (77%) here, but units won
# there on Zen 5 and Intel (above), so B=16 keeps the limit
CPU_ROW_SPLIT_ANY_WEIGHTS_ROWS = int(os.environ.get("GATECORE_CPU_ROW_SPLIT_ANY_WEIGHTS_ROWS", 16))
# A split time loop of at least this many steps gets the arrays it writes on cache lines (cpu_common.aligned:
# ~1.3 us an array more than np.empty, ~6 us a call; a step gains ~0.04 us at B=1 H=64: LSTM T=512 0.679 ->
# 0.656 ms, GRU 0.502 -> 0.481, T=16 0.048 -> 0.053; config_ab.py with BLOCK=20, probes_session15.txt, Zen 4.
# Intel Sapphire Rapids class, whole calls at T=512 B=1 H=64: LSTM 0.85-0.90 vs 1.01-1.29 ms, GRU 0.74-0.82 vs
# 0.76-1.03, 4 of 4 alternating-process pairs, probes_session16.txt)
CPU_ALIGN_MIN_STEPS = int(os.environ.get("GATECORE_CPU_ALIGN_MIN_STEPS", 128))
# A single sequence's recurrent product runs on packed W_hh from this many steps up (cpu_common.panels)
CPU_PACKED_MIN_STEPS = 32
# ... when W_hh is small enough to stay on one thread (CPU_PARALLEL_MIN_WEIGHTS), or this many bytes or more: the
# panels of a thread's share then stream faster than its rows do (cpu_dots). Forward, B=1, 2 threads, 2-vCPU AMD
# EPYC Zen 5 (1 MB L2 a core), rows vs panels toggled in one process, alternating, median ms (share of pairs the
# panels won; benchmarks/probes/packs_ab.py, probes_session32.txt): float32 LSTM H=512 (4 MB) T=128 3.12 -> 2.71
# (99%), T=512 14.2 -> 11.5 (97%), T=16 even; GRU H=512 T=512 9.78 -> 8.17 (98%); RNN H=512 (1 MB) T=128 0.73 ->
# 0.53 (100%); LSTM H=1024 T=128 21.7 -> 13.3 (100%); LSTM H=256 (1 MB) T=128 0.76 -> 0.74 (88%); float64 LSTM
# H=256 T=128 2.21 -> 1.93 (98%), GRU H=256 1.54 -> 1.19 (99%). Below it: float32 LSTM H=192 (590 kB) T=128 0.69
# -> 0.75 (2%), GRU H=256 (786 kB) T=32 0.22 -> 0.24 (13%), T=128 0.60 -> 0.59 (79%)
CPU_PACKED_MIN_WEIGHT_BYTES = int(os.environ.get("GATECORE_CPU_PACKED_MIN_WEIGHT_BYTES", 1 << 20))
# A forward loop whose recurrent weights (W_hh, or its panels) take this many bytes or more walks them back down on odd
# steps (cpu_common.recurrent_products): what the last step read last is still in L2 and is read first. Same bits
# (each output's sum does not depend on the order of the outputs).
CPU_ZIGZAG_MIN_BYTES = int(os.environ.get("GATECORE_CPU_ZIGZAG_MIN_BYTES", 1 << 21))
ZIGZAG_CHUNK_BYTES = 1 << 16    # rows of W per products() call when walking down (whole panels on P)
# The GEMMs around the time loop (cpu_common.gemm, matmul, pack) run on Numba's threads, in tasks of this many
# rows, from CPU_GEMM_PARALLEL_MIN_WORK multiply-adds up. Whole calls, float32, 2 threads, I = H, 4M vs 1M in one
# process, alternating, median us (benchmarks/probes/config_toggle_ab.py, same bits): GRU T=16 B=1 H=256 forward
# 253 -> 209 and 249 -> 218 (its few-rows projection, 3.1M, had run on one thread), fwd+bwd 1031 -> 951; LSTM
# T=32 B=1 H=128 210 -> 189; GRU T=16 B=16 H=64 213 -> 202; LSTM fwd+bwd T=128 B=1 H=64 548 -> 527; 14 other
# points 0.99-1.04. At 256k the points that then flip lost: LSTM T=16 B=1 H=64 61 -> 67, its fwd+bwd 159 -> 183,
# RNN T=128 B=1 H=64 80 -> 95 (probes_session23.txt)
CPU_ROW_BLOCK = 64
CPU_GEMM_PARALLEL_MIN_WORK = int(os.environ.get("GATECORE_CPU_GEMM_PARALLEL_MIN_WORK", 1 << 20))
# ... each task over all of k when the packed operand has at most this many bytes (cpu_common.k_block), else in
# blocks of 256 k. Median GFLOP/s, 2 threads, this 2-core AMD EPYC Zen 5, blocks vs all of k (same bits):
# M x K x N = 8192 x 512 x 2048 (P 4 MB) 297 vs 310, 8192 x 2048 x 512 283 vs 367, 2048 x 512 x 2048 291 vs 333,
# 8192 x 256 x 1024 334 vs 357; but a weight gradient's 2048 x 8192 x 512 (P 16 MB) 288 vs 204
CPU_GEMM_FULL_K_MAX_BYTES = int(os.environ.get("GATECORE_CPU_GEMM_FULL_K_MAX_BYTES", 1 << 22))

# A threaded product whose weight matmul packs (not prepacked) and whose panels take at most this many bytes has
# each thread pack the panels it multiplies (cpu_common._pack_gemm_parallel)
CPU_PACK_GEMM_MAX_BYTES = int(os.environ.get("GATECORE_CPU_PACK_GEMM_MAX_BYTES", 1 << 22))

# A forward loop on one thread is fed its input projection by a second thread (gatecore.cpu_feed) in tasks of
# whole steps, about this many rows each (0: never fed), when the projection has CPU_FEED_MIN_WORK multiply-adds
# or more. Float32, 2 threads, I = H, B = 1, median us fed vs not, one process alternating
# (benchmarks/probes/config_toggle_ab.py): LSTM T=128 H=64 233 -> 203, T=512 669 -> 562; GRU T=128 H=64 198 -> 174;
# RNN T=128 H=256 456 -> 383, but RNN T=128 H=64 (0.5 M multiply-adds) 82 -> 92. Tasks of 4 or 16 rows: even
CPU_FEED_ROWS = int(os.environ.get("GATECORE_CPU_FEED_ROWS", 8))
CPU_FEED_MIN_WORK = int(os.environ.get("GATECORE_CPU_FEED_MIN_WORK", 1 << 20))

# cpu_common.pack copies an operand into panels on Numba's threads from this many bytes up: at 256 kB the copy
# (~5 us) gained nothing, from 1 MB 1.3-1.8x (benchmarks/probes/pack_ab.py)
CPU_PACK_PARALLEL_MIN_BYTES = int(os.environ.get("GATECORE_CPU_PACK_PARALLEL_MIN_BYTES", 1 << 19))

# The cpu backend's arrays of this many bytes or more come from a pool each thread keeps (gatecore.cpu_pool), not
# fresh from malloc, whose thresholds move with what ran before, so that a call's memory is faulted in again or
# not (glibc starts serving fresh mappings at 128 kB)
CPU_POOL_MIN_BYTES = int(os.environ.get("GATECORE_CPU_POOL_MIN_BYTES", 1 << 17))
# ... and a thread's pool holds at most this many bytes (larger arrays come from malloc every call)
CPU_POOL_MAX_BYTES = int(os.environ.get("GATECORE_CPU_POOL_MAX_BYTES", 1 << 28))
# When the cpu backend loads, one block of this many bytes is taken from glibc's malloc and given back
# (cpu_pool.prime_malloc; 0: not done): glibc then serves blocks under it from its heap and keeps up to twice it
# freed, as it would after any such block was freed, instead of mapping fresh pages for the compiled calls' arrays
# (gatecore.cpu_compiled: Numba's allocator) and giving them back at every call. The default is just under glibc's
# ceiling for its moving threshold (32 MB on 64-bit). Float32, 2 threads, session 27's AMD EPYC (Zen 5),
# forward+backward after smaller points in one process, off -> on (ms, minor faults a call; two runs each,
# benchmarks/probes/malloc_prime.py): LSTM T=128 B=16 H=64 3.9-5.7, ~1650 -> 1.6-1.9, 0; T=128 B=64 H=64 16.7-20.0,
# ~4200 -> 10.4-11.4, 0; GRU T=128 B=16 H=64 3.6-4.0, ~1480 -> 1.4-1.5, 0 (benchmarks/results/probes_session27.txt)
CPU_MALLOC_PRIME_BYTES = int(os.environ.get("GATECORE_CPU_MALLOC_PRIME_BYTES", 31 << 20))

# A forward whose pre-activations take fewer bytes (and that runs in one piece, without a projection) runs as one
# compiled call (gatecore.cpu_compiled), its arrays from Numba's allocator, not the pool; 0: never. Float32, 2 threads, this
# session's Intel VM, median us, general path vs compiled call, in one process alternating, same bits
# (benchmarks/probes/config_toggle_ab.py): LSTM T=16 B=1 H=64 51.2 -> 43.2, B=16 173.6 -> 139.5, B=64 468 -> 411,
# T=16 B=16 H=256 1351 -> 1241; T=128 B=16 H=64 (2 MB) 860 -> 782, H=256 (8 MB) 8027 -> 7934, T=512 B=16 H=64
# (8 MB) 3095 -> 3045 (benchmarks/results/probes_session24.txt)
CPU_COMPILED_MAX_BYTES = int(os.environ.get("GATECORE_CPU_COMPILED_MAX_BYTES", 1 << 24))
# A backward runs as compiled calls (cpu_compiled.grads_plan) only while the arrays it allocates (da, dx, both
# weights' panels and gradients, x and h packed, the GRU's dn and what W_hn multiplies) take at most this many
# bytes. Its arrays come from Numba's allocator, i.e. malloc, and a backward frees several large ones at once:
# unless CPU_MALLOC_PRIME_BYTES moved glibc's thresholds up front, glibc gives the top of its heap back and the next
# call faults it in again. Session 25 (Intel VM, float32, 2 threads, the grid's points in one process, without
# priming, benchmarks/probes/fault_sequence.py), general path vs compiled without a limit: LSTM T=128 B=64 H=64 9.3
# -> 18.4 ms (6168 faults a call), T=16 B=64 H=256 12.8 -> 18.5 (5831), GRU T=128 B=16 H=512 85 -> 105 (14387);
# so it was 4 MB. Primed (session 27, AMD EPYC Zen 5, the same sequence up to 32 MB: no fault at any point), 4 MB
# -> 32 MB, forward+backward, median us in one process alternating (config_toggle_ab.py, same bits): LSTM T=16
# B=16 H=256 2972 -> 2770, T=128 B=64 H=64 11085 -> 10086, T=16 B=1 H=512 2559 -> 2226, T=128 B=16 H=256 23294
# -> 22923; GRU T=16 B=16 H=256 2994 -> 2894, T=128 B=16 H=256 18650 -> 17765 (benchmarks/results/probes_session27.txt)
CPU_COMPILED_BACKWARD_MAX_BYTES = int(os.environ.get("GATECORE_CPU_COMPILED_BACKWARD_MAX_BYTES", 1 << 25))

# The weight gradients' GEMMs (cpu_common.weight_grads) read da^T transposed into a buffer, this many bytes of it
# per chunk of k (0: as a view of da, every task copying its slices). Float32, 2 threads, this session's 2-vCPU
# AMD EPYC (Zen 4, KVM), view vs chunks in one process, alternating, median (benchmarks/probes/weight_grads_ab.py):
# T*B = 2048 rows, 4H = 2048, N = 512 30.6 -> 27.0 ms; T*B = 32768, 2048 x 512 492 -> 412; fwd+bwd LSTM T=128 B=16
# H=256 56.1 -> 50.5 ms, GRU 36.1 -> 32.3 (benchmarks/results/probes_session10.txt)
CPU_GRAD_CHUNK_BYTES = int(os.environ.get("GATECORE_CPU_GRAD_CHUNK_BYTES", 1 << 22))

# A forward without a tape whose gate pre-activations would take more than CPU_CHUNK_MIN_BYTES runs its input
# projection and time loop chunk by chunk, about CPU_CHUNK_BYTES of pre-activations each (cpu_common.time_chunks).
# Float32, 2 threads, this session's 2-vCPU Intel Xeon (KVM), chunks of 4 MB vs one run, alternating in one
# process, median (share of pairs chunks won): LSTM T=512 B=64 H=64 23.6 -> 22.7 ms (78%), T=512 B=16 H=256
# 62.4 -> 57.7 (82%), T=128 B=64 H=256 52.2 -> 48.6 (90%), T=512 B=16 H=512 210 -> 200 (80%); GRU T=512 B=16
# H=512 153 -> 149 (80%), T=512 B=64 H=64 even; chunks of 1 MB lost at GRU T=512 B=16 H=512 (163 -> 188)
CPU_CHUNK_MIN_BYTES = int(os.environ.get("GATECORE_CPU_CHUNK_MIN_BYTES", 1 << 24))
CPU_CHUNK_BYTES = int(os.environ.get("GATECORE_CPU_CHUNK_BYTES", 1 << 22))

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


class _Knobs(types.ModuleType):
    """This module's type: an assignment to any knob (or its removal) moves `version` on."""

    def __setattr__(self, name, value):
        super().__setattr__(name, value)
        if name != "version":
            super().__setattr__("version", self.version + 1)

    def __delattr__(self, name):
        super().__delattr__(name)
        super().__setattr__("version", self.version + 1)


version = 0
sys.modules[__name__].__class__ = _Knobs
