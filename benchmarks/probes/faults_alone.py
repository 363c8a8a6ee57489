"""One LSTM shape alone in a fresh process from the source tree TREE, its forward (f) or forward+backward (fb)
called 20 times, then 30 timed: mean us a call and minor page faults a call (ru_minflt); an optional last argument
sets config.CPU_COMPILED_MAX_BYTES. Run: python benchmarks/probes/faults_alone.py TREE f|fb T B H [bytes]"""
import sys
tree = sys.argv[1]; sys.path.insert(0, tree + "/src")
import time, resource, numpy as np, gatecore as gc
from gatecore import config
mode, T, B, H = sys.argv[2], *map(int, sys.argv[3:6])
if len(sys.argv) > 6: config.CPU_COMPILED_MAX_BYTES = int(sys.argv[6])
rng=np.random.default_rng(0)
x=rng.standard_normal((T,B,H),dtype=np.float32); w=rng.standard_normal((4*H,H),dtype=np.float32)*.05; b=np.zeros(4*H,np.float32); dy=np.ones((T,B,H),np.float32)
def fb():
    *_,tape=gc.lstm_forward(x,w,w,b,b,return_tape=True); return gc.lstm_backward(tape,dy)
def f(): return gc.lstm_forward(x,w,w,b,b)
fn = fb if mode == "fb" else f
for _ in range(20): fn()
r0=resource.getrusage(resource.RUSAGE_SELF).ru_minflt; t=time.perf_counter()
n=30
for _ in range(n): fn()
print(tree, mode, T,B,H, sys.argv[6:], "us %.0f" % ((time.perf_counter()-t)/n*1e6), "faults/call", (resource.getrusage(resource.RUSAGE_SELF).ru_minflt-r0)/n)
