"""Forward and forward+backward at a few points in one process, in an order that leaves glibc's malloc thresholds
low (smaller points first), with gatecore's malloc priming on (config.CPU_MALLOC_PRIME_BYTES, the default) and
off (0), each sequence in a fresh child process, alternating: ms a call and minor page faults a call.
Run: python benchmarks/probes/malloc_prime.py [REPEATS]"""
import os, subprocess, sys

SEQUENCES = [("lstm", "16x1x64 128x1x64 16x16x64 128x16x64"), ("lstm", "128x16x256 128x16x64 128x1x64 128x64x64"),
             ("gru", "16x1x64 128x1x64 16x16x64 128x16x64 128x64x64")]
CHILD = r"""
import sys, time, resource
from gatecore.cli import peers
cell = sys.argv[1]
for spec in sys.argv[2:]:
    T, B, H = map(int, spec.split("x"))
    fwd, fb = peers.make("cpu", cell, T, B, H, H)
    for name, f in (("fwd", fwd), ("fwd+bwd", fb)):
        f(); f()
        t0 = time.perf_counter(); f(); n = max(3, int(0.3 / (time.perf_counter() - t0)))
        r0 = resource.getrusage(resource.RUSAGE_SELF).ru_minflt; t0 = time.perf_counter()
        for _ in range(n): f()
        dt = (time.perf_counter() - t0) / n
        faults = (resource.getrusage(resource.RUSAGE_SELF).ru_minflt - r0) / n
        print(f"  {cell} {spec:10s} {name:8s} {dt * 1e3:8.3f} ms {faults:7.1f} faults a call", flush=True)
"""

repeats = int(sys.argv[1]) if len(sys.argv) > 1 else 2
for cell, specs in SEQUENCES:
    for r in range(repeats):
        for prime in (None, "0"):
            env = dict(os.environ)
            env.pop("GATECORE_CPU_MALLOC_PRIME_BYTES", None)
            if prime is not None:
                env["GATECORE_CPU_MALLOC_PRIME_BYTES"] = prime
            print(f"{cell} run {r + 1}, priming {'off' if prime else 'on (default)'}:", flush=True)
            subprocess.run([sys.executable, "-c", CHILD, cell, *specs.split()], env=env, check=True)
