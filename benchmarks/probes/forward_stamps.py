"""Where one LSTM cpu forward call's time goes, the backend's forward() retraced with a clock between its pieces
(lengths and bias, W_hh panels, split, allocations and chunks, step_inputs = the input GEMM, the loop, the copy of h_n), float32,
no tape, min and median of 300 calls (step_inputs and the loop summed over the time chunks). Run:
python benchmarks/probes/forward_stamps.py T B H [calls [warm-up calls]]"""
import time, sys, numpy as np
from gatecore.lstm import cpu as lc
from gatecore import cpu_feed; import numpy; idle = cpu_feed.idle(numpy.dtype(numpy.float32))   # not fed
from gatecore import cpu_common as cc
T,B,H = map(int, sys.argv[1:4])
rng=np.random.default_rng(0)
x=rng.standard_normal((T,B,H),dtype=np.float32)
w_ih=rng.standard_normal((4*H,H),dtype=np.float32)*.05; w_hh=w_ih.copy(); b_ih=np.zeros(4*H,np.float32); b_hh=b_ih.copy()
def fwd(st):
    pc=time.perf_counter
    t0=pc()
    lengths = cc.full_lengths(None, T, B)
    bias = b_ih + b_hh
    t1=pc()
    P_hh = cc.panels(w_hh, T, B)
    P_hr = cc.none(x.dtype, 3)
    t2=pc()
    split = cc.step_split(B, 4, H, H, panel=cc.panel_units(P_hh), itemsize=x.dtype.itemsize)
    threaded = cc.aligns(split, T)
    empty, zeros = cc.allocators(threaded, B * H * 4)
    cp = empty((1, B, H), x.dtype); cs = empty((1, B, H), x.dtype); hp = empty((1, B, H), x.dtype)
    y = zeros((T, B, H), x.dtype)
    hbuf = cc.initial_state(None, B, H, x.dtype, threaded)
    c = cc.state_or_zeros(None, B, H, x.dtype, threaded)
    w_hr_k = cc.none(x.dtype, 2)
    runs = cc.time_chunks(x, y, lengths, False, 4 * H, False)
    P_ih = cc.input_weights(w_ih, runs)
    t3=pc()
    nruns.append(len(runs))
    si = lo = 0.0
    for x_c, y_c, lengths_c in runs:
        ta = pc()
        gates, x1, w1, bias1 = cc.step_inputs(x_c, w_ih, bias, P_ih, threaded)
        tb = pc()
        h_n = lc._forward_loop(gates, cp, cs, hp, y_c, hbuf, c, w_hh, P_hh, w_hr_k, P_hr, lengths_c, False, split, x1, w1, bias1, idle)
        tc = pc(); si += tb - ta; lo += tc - tb
    t4 = t3 + si; t5 = t4 + lo
    r = y, h_n.copy(), c
    t6=pc()
    st.append([t1-t0,t2-t1,t3-t2,t4-t3,t5-t4,t6-t5,t6-t0])
st=[]; nruns=[]
for i in range(int(sys.argv[5]) if len(sys.argv) > 5 else 20): fwd([])
for i in range(int(sys.argv[4]) if len(sys.argv) > 4 else 300): fwd(st)
a=np.array(st)*1e6
for n,col in zip(["lengths,bias","panels","split/allocs/chunks","step_inputs","loop","copy","total"],a.T):
    print(f"{n:14s} min {col.min():7.1f} med {np.median(col):7.1f}")

print("runs", nruns[-1])
