"""A bench.json's points as rows of a compact table: per cell and mode, gatecore's median ms, its ratio to the faster
peer (forward) or to PyTorch (fwd+bwd) by the bench's ratio rule, which peer, and gatecore's GFLOP/s.
Run: python grid_points.py DIR/bench.json"""
import json, sys
from gatecore.cli import bench
recs = json.load(open(sys.argv[1]))["records"]
for r in recs: r.pop("ratio", None)
bench._add_ratios(recs)
by = {(r["cell"], r["mode"], r["T"], r["B"], r["H"], r["impl"]): r for r in recs}
for cell in ("lstm", "gru"):
    for mode in ("forward", "forward+backward"):
        print(cell, mode)
        for T in (16, 128, 512):
            for B in (1, 16, 64):
                row = []
                for H in (64, 256, 512):
                    own = by.get((cell, mode, T, B, H, "cpu"))
                    if own is None:
                        continue
                    peers = [p for p in ("torch", "onnxruntime") if (cell, mode, T, B, H, p) in by]
                    if mode != "forward":
                        peers = ["torch"]
                    rat = {p: bench._ratio(by[(cell, mode, T, B, H, p)], own) for p in peers}
                    best = min(rat, key=rat.get)
                    row.append("H%d %.3fms %.2fx(%s) %.0fGF" % (H, own["seconds"] * 1e3, rat[best], best[:2],
                                                                own["flops"] / own["seconds"] / 1e9))
                print(" T%d B%d: " % (T, B) + " | ".join(row))
