"""Minor page faults per forward call (resource.getrusage over 50 calls after two warm-up calls) and the time a
call takes, for one point: whether the arrays a call allocates come back from the allocator or fresh from the OS.
Run: python benchmarks/probes/page_faults.py T B H lstm|gru"""
import sys, time, resource, numpy as np, gatecore as gc
from gatecore.cli.peers import _problem
T,B,H = map(int, sys.argv[1:4]); cell=sys.argv[4]
p=_problem(cell,T,B,H,H,"float32")
fn = gc.lstm_forward if cell=="lstm" else gc.gru_forward
f=lambda: fn(p["x"],p["w_ih"],p["w_hh"],p["b_ih"],p["b_hh"])
f(); f()
for rep in range(3):
    r0=resource.getrusage(resource.RUSAGE_SELF).ru_minflt; t0=time.perf_counter()
    for _ in range(50): f()
    t=(time.perf_counter()-t0)/50; r1=resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    print(f"{cell} T={T} B={B} H={H}: {t*1e3:.3f} ms, {(r1-r0)/50:.1f} minor faults/call")
