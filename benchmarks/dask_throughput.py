"""Throughput of gatecore.dask.forward on a LocalCluster against the same work in one process, and per-task overhead.

    python benchmarks/dask_throughput.py --sequences 100000 --block 1000 --steps 128 --hidden 256 --workers 2

Inference of a one-layer float32 LSTM (input size = hidden size) over `sequences` sequences of `steps` steps, in
blocks of `block` sequences. x is generated per block from a seed (dask.array.random on the cluster, the same
NumPy generator per block in one process) and only h_n is kept, so memory stays bounded by a few blocks.
Per-task overhead: many tiny blocks (1 sequence, 1 step, H = 4) whose compute is negligible, timed per task.
"""
from __future__ import annotations

import argparse
import time

import numpy as np

import gatecore as gc


def block_x(seed, b, shape):
    return np.random.default_rng([seed, b]).standard_normal(shape, dtype=np.float32)


def single_process(layer, args):
    """h_n of every block, one after another in this process: seconds."""
    start = time.perf_counter()
    for b in range(args.sequences // args.block):
        layer(block_x(0, b, (args.steps, args.block, args.hidden)))
    return time.perf_counter() - start


def on_cluster(layer, args, client):
    """h_n of every block through gatecore.dask.forward on the cluster: seconds (graph build included)."""
    import dask
    import dask.array as da

    import gatecore.dask as gcd
    n = args.sequences // args.block
    start = time.perf_counter()
    blocks = [da.from_delayed(dask.delayed(block_x)(0, b, (args.steps, args.block, args.hidden)),
                              (args.steps, args.block, args.hidden), dtype=np.float32) for b in range(n)]
    x = da.concatenate(blocks, axis=1)
    _, (h_n, _) = gcd.forward(layer, x)
    h_n.sum().compute()
    return time.perf_counter() - start


def overhead(client, tasks):
    """Seconds per block of gatecore.dask.forward on tiny blocks (1 sequence, 1 step, H = 4): (graph building
    and scattering, computing)."""
    import dask.array as da

    import gatecore.dask as gcd
    layer = gc.LSTM(4, 4, dtype=np.float32, backend="numpy", seed=0)
    x = da.zeros((1, tasks, 4), dtype=np.float32, chunks=(1, 1, 4))
    gcd.forward(layer, x[:, :8])[1][0].compute()
    start = time.perf_counter()
    total = gcd.forward(layer, x)[1][0].sum()
    built = time.perf_counter()
    total.compute()
    return (built - start) / tasks, (time.perf_counter() - built) / tasks


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--sequences", type=int, default=100_000)
    p.add_argument("--block", type=int, default=1000)
    p.add_argument("--steps", type=int, default=128)
    p.add_argument("--hidden", type=int, default=256)
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--backend", default="cpu")
    p.add_argument("--tasks", type=int, default=400, help="tiny tasks for the overhead measurement")
    args = p.parse_args()
    from dask.distributed import Client, LocalCluster

    layer = gc.LSTM(args.hidden, args.hidden, dtype=np.float32, backend=args.backend, seed=0)
    layer(block_x(0, 0, (2, 2, args.hidden)))                     # compile (or load the Numba cache)
    one = single_process(layer, args)
    with LocalCluster(n_workers=args.workers, processes=True, threads_per_worker=1, host="127.0.0.1",
                      dashboard_address=None, env={"NUMBA_NUM_THREADS": "1"}) as cluster, Client(cluster) as client:
        client.run(lambda: gc.LSTM(4, 4, dtype=np.float32, backend=args.backend)(np.zeros((2, 2, 4), np.float32)))
        many = on_cluster(layer, args, client)
        build, per_task = overhead(client, args.tasks)
    seqs = args.sequences // args.block * args.block
    print(f"{seqs} sequences, T={args.steps}, H=I={args.hidden}, float32, blocks of {args.block}, "
          f"backend {args.backend}")
    print(f"single process : {one:8.2f} s  {seqs / one:10.0f} seq/s")
    print(f"LocalCluster {args.workers}w : {many:8.2f} s  {seqs / many:10.0f} seq/s  (x{one / many:.2f})")
    print(f"per-block overhead (tiny blocks, {args.tasks} of them): {per_task * 1e3:.2f} ms computing, "
          f"{build * 1e3:.2f} ms building the graph")


if __name__ == "__main__":
    main()
