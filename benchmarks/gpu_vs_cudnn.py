"""gatecore backend "cuda" against torch.nn.LSTM/GRU on cuDNN, float32 with TF32 off on both sides.

    python benchmarks/gpu_vs_cudnn.py --out benchmarks/results/gpu          (needs a CUDA GPU and torch with
    CUDA)

For each cell (LSTM, GRU), H in {256, 512, 1024}, B in {1, 8, 64, 256}, T = 512, I = H: the median wall time
of
forward (inference, no tape) and forward+backward (tape, then all gradients), both libraries fed the same
weights
as device arrays (no host copies timed), every run synchronised. Before timing, each configuration's outputs
are
checked against cuDNN's. Reported per row: times, the speed-up over cuDNN, per-step latency (time / T) and
achieved FLOP/s against the card's float32 peak (SMs x 128 lanes x 2 x clock), counting only the matrix
products:
forward 2*T*B*G*H*(I+H), forward+backward three times that.
Writes OUT/gpu_vs_cudnn.json and OUT/gpu_vs_cudnn.md (with the device name).
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time


GATES = {"lstm": 4, "gru": 3}


def parse(argv):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--out", default="benchmarks/results/gpu")
    p.add_argument("--T", type=int, default=512)
    p.add_argument("--H", type=int, nargs="+", default=[256, 512, 1024])
    p.add_argument("--B", type=int, nargs="+", default=[1, 8, 64, 256])
    p.add_argument("--cells", nargs="+", default=["lstm", "gru"], choices=sorted(GATES))
    p.add_argument("--repeat", type=int, default=5)
    p.add_argument("--budget", type=float, default=0.0,
                   help="seconds: start no new configuration after this long (0: run them all); the tables are "
                        "rewritten after every configuration, so a run cut short still leaves what it measured")
    return p.parse_args(argv)


def timed(fn, sync, repeat):
    """Median seconds of fn() over `repeat` runs after one warm-up, each run synchronised."""
    fn()
    sync()
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        sync()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def fp32_peak(cuda):
    dev = cuda.get_current_device()
    return dev.MULTIPROCESSOR_COUNT * 128 * 2 * dev.CLOCK_RATE * 1e3


def one(cell, T, B, H, repeat, torch, gc, cuda):
    G = GATES[cell]
    torch.manual_seed(0)
    net = {"lstm": torch.nn.LSTM, "gru": torch.nn.GRU}[cell](H, H).cuda().float()
    x = torch.randn(T, B, H, device="cuda")
    dy = torch.randn(T, B, H, device="cuda")
    w = [p.detach() for p in (net.weight_ih_l0, net.weight_hh_l0, net.bias_ih_l0, net.bias_hh_l0)]
    fwd = {"lstm": gc.lstm_forward, "gru": gc.gru_forward}[cell]
    bwd = {"lstm": gc.lstm_backward, "gru": gc.gru_backward}[cell]

    def ours_forward():
        return fwd(x, *w, backend="cuda")

    def ours_train():
        out = fwd(x, *w, backend="cuda", return_tape=True)
        return bwd(out[-1], dy)

    def theirs_forward():
        with torch.no_grad():
            return net(x)

    def theirs_train():
        net.zero_grad(set_to_none=True)
        xg = x.detach().requires_grad_(True)
        y, _ = net(xg)
        y.backward(dy)

    y_ours = torch.as_tensor(ours_forward()[0], device="cuda")
    y_ref = theirs_forward()[0]
    err = float((y_ours - y_ref).abs().max())
    assert err < 1e-3, f"{cell} T={T} B={B} H={H}: gatecore differs from cuDNN by {err:.2e}"
    sync = torch.cuda.synchronize
    flops = 2.0 * T * B * G * H * (H + H)
    from gatecore import cuda_common
    row = {"cell": cell, "T": T, "B": B, "H": H, "max_abs_diff_vs_cudnn": err,
           "path": list(cuda_common.last_path)}
    for mode, ours, theirs, f in (("forward", ours_forward, theirs_forward, flops),
                                  ("forward+backward", ours_train, theirs_train, 3 * flops)):
        t_ours, t_theirs = timed(ours, sync, repeat), timed(theirs, sync, repeat)
        row[mode] = {"gatecore_s": t_ours, "cudnn_s": t_theirs, "speedup": t_theirs / t_ours,
                     "gatecore_us_per_step": 1e6 * t_ours / T, "cudnn_us_per_step": 1e6 * t_theirs / T,
                     "gatecore_flops": f / t_ours, "cudnn_flops": f / t_theirs}
    return row


def numba_versions():
    from importlib import metadata
    out = {}
    for name in ("numba", "numba-cuda"):
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = None
    return out


def table(rows, device, peak):
    lines = [f"# gatecore cuda vs cuDNN on {device} (float32, TF32 off; fp32 peak {peak / 1e12:.1f} TFLOP/s)",
             "", "| cell | H | B | path (blocks) | mode | gatecore ms | cuDNN ms | speed-up | us/step (ours) | TFLOP/s (ours)"
             " | % peak |",
             "|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        for mode in ("forward", "forward+backward"):
            m = r[mode]
            lines.append(f"| {r['cell']} | {r['H']} | {r['B']} | {r['path'][0]} ({r['path'][1]}) | {mode} | {1e3 * m['gatecore_s']:.2f} | "
                         f"{1e3 * m['cudnn_s']:.2f} | {m['speedup']:.2f} | {m['gatecore_us_per_step']:.1f} | "
                         f"{m['gatecore_flops'] / 1e12:.2f} | {100 * m['gatecore_flops'] / peak:.1f} |")
    return "\n".join(lines) + "\n"


def main(argv=None):
    args = parse(argv)
    import torch
    from numba import cuda

    import gatecore as gc
    if not torch.cuda.is_available() or gc.backends()["cuda"] is not True:
        sys.exit(f"needs a CUDA GPU: torch.cuda.is_available() {torch.cuda.is_available()}, "
                 f"gatecore: {gc.backends()['cuda']}")
    torch.backends.cudnn.allow_tf32 = False
    torch.backends.cuda.matmul.allow_tf32 = False
    device, peak = torch.cuda.get_device_name(), fp32_peak(cuda)
    # cheapest first (B * H^2), cells side by side, so a budget cuts the largest shapes, not a whole cell
    configs = sorted(((B * H * H, H, B, cell) for cell in args.cells for H in args.H for B in args.B))
    os.makedirs(args.out, exist_ok=True)
    start, rows, text = time.perf_counter(), [], "nothing measured\n"
    for _, H, B, cell in configs:
        if args.budget and time.perf_counter() - start > args.budget:
            print(f"budget of {args.budget:.0f} s spent: {len(configs) - len(rows)} configurations not run",
                  flush=True)
            break
        rows.append(one(cell, args.T, B, H, args.repeat, torch, gc, cuda))
        print(json.dumps(rows[-1]), flush=True)
        with open(os.path.join(args.out, "gpu_vs_cudnn.json"), "w") as f:
            json.dump({"device": device, "fp32_peak_flops": peak, "torch": torch.__version__,
                       "numba": numba_versions(), "rows": rows, "not_run": len(configs) - len(rows)}, f,
                      indent=1)
        text = table(rows, device, peak)
        with open(os.path.join(args.out, "gpu_vs_cudnn.md"), "w") as f:
            f.write(text)
    print(text)


if __name__ == "__main__":
    main()
