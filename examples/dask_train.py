"""Data-parallel training of a small GRU on a Dask LocalCluster (2 worker processes) with gatecore.dask.

Task: read a sequence x [T, B, 1] of uniform(-1, 1) numbers and end with the first hidden unit equal to half
the mean of the last four, h_n[0, b, 0] = 0.5 * mean(x[T-4:, b, 0]) (a short memory the GRU must learn).
The loss is the batch mean of the squared error, written as a sum over each block's entries divided by the
whole batch size, so the tree-summed block gradients are exactly the whole batch's gradient.

    python examples/dask_train.py [backend]  # starts its own LocalCluster; prints the loss every 10 steps
"""
from __future__ import annotations

import numpy as np

import gatecore as gc
import gatecore.dask as gcd

T, B, BLOCK, HIDDEN, STEPS, LR = 16, 256, 64, 8, 40, 1.0


def make_data(seed=0):
    """x [T, B, 1] float32 as a dask array chunked along batch, and the target [B]."""
    import dask.array as da
    x = np.random.default_rng(seed).uniform(-1, 1, size=(T, B, 1)).astype(np.float32)
    target = 0.5 * x[-4:, :, 0].mean(axis=0)
    return da.from_array(x, chunks=(T, BLOCK, 1)), target


def squared_error(y, h_n, target, batch=B):
    """Per block: (sum_b (h_n[0, b, 0] - target_b)^2 / batch, dy, dh_n) for layer.backward."""
    err = h_n[0, :, 0] - target
    dh_n = np.zeros_like(h_n)
    dh_n[0, :, 0] = 2.0 * err / batch
    return float(np.sum(err.astype(np.float64) ** 2) / batch), np.zeros_like(y), dh_n


def train(client, steps=STEPS, seed=0, backend=None):
    """Train on the cluster behind `client`; returns (baseline loss, the losses of every step)."""
    layer = gc.GRU(1, HIDDEN, dtype=np.float32, backend=backend, seed=seed)
    x, target = make_data(seed)
    baseline = float(np.mean((target - target.mean()) ** 2))
    losses = [gcd.train_step(layer, x, squared_error, target, lr=LR) for _ in range(steps)]
    return baseline, losses


def main(backend=None):
    from dask.distributed import Client, LocalCluster
    with LocalCluster(n_workers=2, processes=True, threads_per_worker=1, host="127.0.0.1",
                      dashboard_address=None) as cluster, Client(cluster) as client:
        baseline, losses = train(client, backend=backend)
    for step in range(0, len(losses), 10):
        print(f"step {step:3d}  loss {losses[step]:.5f}")
    print(f"final loss {losses[-1]:.5f}   (best constant prediction: {baseline:.5f})")


if __name__ == "__main__":
    import sys
    main(sys.argv[1] if len(sys.argv) > 1 else None)
