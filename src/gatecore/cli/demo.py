"""`gatecore demo`: LSTM and GRU side by side on the adding and copy-memory tasks, trained with gatecore's own
forward and backward kernels (no PyTorch), a NumPy linear head, Adam and gradient-norm clipping.

Writes OUT/demo.json (API.md §6: a list `results`, one record per (task, cell)) and OUT/demo.png (learning
curves against the loss of the best constant prediction).
"""
from __future__ import annotations

import json
import os
import time

import numpy as np

import gatecore as gc

from . import require
from .adam import Adam, clip_grad_norm
from .model import Model
from .tasks import Adding, Copy, minimum_length

# per-task defaults, tuned so that the whole default run takes <= 2 minutes on 2 cores and both cells learn
DEFAULTS = {
    "adding": {"seq_len": 40, "steps": 1000, "batch": 32, "lr": 1e-2},
    "copy": {"seq_len": 20, "steps": 800, "batch": 32, "lr": 1e-2},
}
HIDDEN = 32
CLIP = 1.0
EVAL_BATCH = 512
CURVE_POINTS = 60


def _task(name):
    return Adding() if name == "adding" else Copy()


def _throughput(fn, B, min_time=0.3):
    """Sequences per second of fn() on a batch of B, after one warm-up call, over at least min_time seconds."""
    fn()
    calls, start = 0, time.perf_counter()
    while True:
        fn()
        calls += 1
        elapsed = time.perf_counter() - start
        if elapsed >= min_time:
            return calls * B / elapsed


def train(task, cell, *, seq_len, hidden, steps, batch, lr, seed, backend, progress=None):
    """Train one (task, cell); returns its demo.json record (plus the learning curve)."""
    rng = np.random.default_rng(seed)
    model = Model(cell, task, hidden, rng, backend=backend)
    opt = Adam(model.params, lr=lr)
    curve, window = [], []
    every = max(1, steps // CURVE_POINTS)
    start = time.perf_counter()
    for step in range(1, steps + 1):
        x, target = task.batch(seq_len, batch, rng)
        loss, accuracy, grads = model.loss_and_grads(x, target)
        clip_grad_norm(grads, CLIP)
        opt.step(grads)
        window.append(loss)
        if step % every == 0 or step == steps:
            curve.append([step, float(np.mean(window))])
            window = []
        if progress is not None:
            progress.set_postfix(loss=f"{loss:.4f}", refresh=False)
            progress.update(1)
    seconds = time.perf_counter() - start
    if progress is not None:
        progress.close()

    x, target = task.batch(seq_len, EVAL_BATCH, np.random.default_rng(seed + 1_000_003))
    final_loss, _, final_accuracy = task.loss(model.predict(x), target)
    xb, tb = task.batch(seq_len, batch, rng)
    return {
        "task": task.name, "cell": cell, "params": model.count(),
        "baseline_loss": task.baseline(target), "final_loss": final_loss, "accuracy": final_accuracy,
        "train_seq_per_s": steps * batch / seconds, "seconds": seconds,
        "forward_seq_per_s": _throughput(lambda: model.predict(xb), batch),
        "forward_backward_seq_per_s": _throughput(lambda: model.loss_and_grads(xb, tb), batch),
        "seq_len": seq_len, "hidden": hidden, "steps": steps, "batch": batch, "lr": lr, "curve": curve,
    }


def _table(results) -> str:
    head = (f"{'task':<7} {'cell':<5} {'params':>7} {'fwd seq/s':>10} {'fwd+bwd seq/s':>14} "
            f"{'loss':>8} {'baseline':>9} {'accuracy':>9} {'time s':>7}")
    rows = [head, "-" * len(head)]
    for r in results:
        rows.append(f"{r['task']:<7} {r['cell']:<5} {r['params']:>7} {r['forward_seq_per_s']:>10.0f} "
                    f"{r['forward_backward_seq_per_s']:>14.0f} {r['final_loss']:>8.4f} {r['baseline_loss']:>9.4f} "
                    f"{r['accuracy']:>9.1%} {r['seconds']:>7.1f}")
    return "\n".join(rows)


def _plot(results, path):
    matplotlib = require("matplotlib")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    tasks = list(dict.fromkeys(r["task"] for r in results))
    fig, axes = plt.subplots(1, len(tasks), figsize=(5.5 * len(tasks), 4), squeeze=False)
    for ax, task in zip(axes[0], tasks):
        mine = [r for r in results if r["task"] == task]
        for r in mine:
            steps, losses = zip(*r["curve"])
            ax.plot(steps, losses, label=f"{r['cell'].upper()} ({r['params']} params)")
        ax.axhline(mine[0]["baseline_loss"], color="grey", linestyle="--", label="best constant prediction")
        ax.set_yscale("log")
        ax.set_xlabel("training step")
        ax.set_ylabel("MSE" if task == "adding" else "cross-entropy")
        ax.set_title(f"{task} (T={mine[0]['seq_len']}, H={mine[0]['hidden']})")
        ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def run_demo(args) -> int:
    """The `gatecore demo` command."""
    tqdm = require("tqdm").tqdm
    tasks = [t.strip() for t in args.tasks.split(",") if t.strip()]
    cells = [c.strip() for c in args.cells.split(",") if c.strip()]
    for name, allowed, given in (("--tasks", DEFAULTS, tasks), ("--cells", ("lstm", "gru"), cells)):
        bad = [v for v in given if v not in allowed]
        if bad or not given:
            raise SystemExit(f"gatecore demo: {name} must name some of {', '.join(allowed)}, got {bad or given}")
    hidden = args.hidden or HIDDEN
    backend = args.backend
    if args.threads is not None and (backend or "cpu") == "cpu":
        require("numba", "cpu").set_num_threads(max(1, args.threads))
    plans = []
    for name in tasks:
        task, d = _task(name), DEFAULTS[name]
        seq_len = args.seq_len or d["seq_len"]
        if seq_len < minimum_length(task):
            raise SystemExit(f"gatecore demo: --seq-len must be >= {minimum_length(task)} for the {name} task")
        for cell in cells:
            plans.append((task, cell, {"seq_len": seq_len, "hidden": hidden, "steps": args.steps or d["steps"],
                                       "batch": args.batch or d["batch"], "lr": d["lr"]}))
    results = []
    print(f"gatecore demo: backend {backend or 'cpu'}, seed {args.seed}; output in {args.out}/")
    start = time.perf_counter()
    for task, cell, cfg in plans:
        with tqdm(total=cfg["steps"], desc=f"{task.name:<6} {cell.upper():<4}", disable=args.no_progress,
                  leave=True, dynamic_ncols=True) as bar:
            results.append(train(task, cell, seed=args.seed, backend=backend, progress=bar, **cfg))
    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, "demo.json"), "w") as f:
        json.dump({"backend": backend or "cpu", "seed": args.seed, "results": results}, f, indent=1)
    _plot(results, os.path.join(args.out, "demo.png"))
    print(_table(results))
    print(f"wrote {os.path.join(args.out, 'demo.json')} and {os.path.join(args.out, 'demo.png')} "
          f"({time.perf_counter() - start:.0f} s in all)")
    return 0
