"""gatecore on Dask (API.md §7, the optional extra `gatecore[dask]`): inference and data-parallel training.

Inference, `y, state = forward(layer, x, state=None, lengths=None)`, with x a dask.array [T, B, I] ([B, T, I]
with batch_first) split along batch into blocks b and, optionally, along time into chunks j = 0 .. J-1
starting at steps t_j. One task per block (j, b) runs the layer's own forward on NumPy arrays:

    y[j, b], s[j, b] = layer.forward(x[j, b], s[j - 1, b], lengths_j[b])      s[-1, b] = state[b] (or zeros)
    lengths_j[b]     = clip(lengths[b] - t_j, 0, T_j)                           (steps of chunk j)
    y = block(y[j, b]),  final state = block(s[J - 1, b])

Every batch row is its own sequence, so blocks along batch are independent and equal the whole-batch call as far as
the kernels compute rows independently: bitwise on the cpu backend when every block has at least 2 steps and 2
sequences (gatecore.cpu_common.panels, cpu_common.gemm); to float tolerance otherwise. Along time the tasks form one
chain per batch block: chunk j starts from the exact state chunk j - 1 ended in, and a sequence that ended before
t_j (lengths_j[b] = 0) leaves its state untouched, as the one-shot call does (PyTorch's packed-sequence semantics).
Only the forward direction can be streamed: a bidirectional layer needs time in one chunk.

Shapes of the results are the layer's: y [T, B, D*H_out] (or [B, T, D*H_out]), h_n [L*D, B, H_out],
c_n [L*D, B, H] (LSTM), chunked along batch (and time for y) like x. `state` and `lengths` [B] may be NumPy
arrays (split to match x) or Dask arrays whose batch chunks must equal x's.

Training, `loss, grads = gradients(layer, x, loss_fn, target=None, state=None, lengths=None)`: per batch block
(time in one chunk)

    y_b, s_b, tape_b = layer.forward_train(x_b, state_b, lengths_b)
    loss_b, dy_b, ds_b = loss_fn(y_b, s_b, target_b)
    g_b = layer.backward(tape_b, dy_b, ds_b).params
    loss = Σ_b loss_b,  grads = Σ_b g_b      summed in a fixed binary tree: ((g_0 + g_1) + (g_2 + g_3)) + ...

so when loss_fn returns a sum over its batch entries (scale it by 1 / B_total for a mean) the result is the
whole batch's loss and gradient, identical from run to run whatever worker computed what. `train_step` adds a
plain SGD update. Dropout masks are drawn per block, so with dropout > 0 the gradient is not the single-process
one (a valid stochastic gradient all the same).

Weights travel once: with a distributed Client active the layer is scattered to every worker (broadcast) and
tasks refer to it; without one it is a single graph key. Per task only the x block, the carried state and
lengths move. Progress: the results are ordinary Dask collections, so Dask's diagnostics apply
(`dask.diagnostics.ProgressBar`, `distributed.progress`, the dashboard).
"""
from __future__ import annotations

import operator
from itertools import accumulate

import dask
import dask.array as da
import numpy as np
from dask.base import tokenize
from dask.delayed import Delayed
from dask.highlevelgraph import HighLevelGraph

__all__ = ["forward", "gradients", "train_step"]


# ------------------------------------------------------------------------------------------------ checks
def _axes(layer):
    """(time axis, batch axis) of x and y for this layer's layout."""
    return (1, 0) if layer.batch_first else (0, 1)


def _check_layer(layer):
    from .layers import _Recurrent
    if not isinstance(layer, _Recurrent):
        raise TypeError(f"layer must be a gatecore LSTM, GRU or RNN, got {type(layer).__name__}")


def _check_x(layer, x, time_chunks_allowed):
    """x as a validated dask array; ValueError for chunkings that cannot work, before anything runs."""
    if not isinstance(x, da.Array):
        raise TypeError(f"x must be a dask.array.Array, got {type(x).__name__} "
                        "(wrap NumPy input with dask.array.from_array(x, chunks=...))")
    if np.dtype(x.dtype) != layer.dtype:
        raise TypeError(f"x must have dtype {layer.dtype} (the layer's), got {x.dtype}")
    ta, ba = _axes(layer)
    layout = "[B, T, I]" if layer.batch_first else "[T, B, I]"
    if x.ndim != 3 or x.shape[2] != layer.input_size:
        raise ValueError(f"x must be 3-D {layout} with I = input_size = {layer.input_size}, got {x.shape}")
    if any(np.isnan(s) for s in x.shape):
        raise ValueError(f"x must have known chunk sizes, got shape {x.shape}; call x.compute_chunk_sizes()")
    if x.shape[ta] < 1 or x.shape[ba] < 1:
        raise ValueError(f"x must have at least one time step and one batch entry, got {x.shape}")
    if len(x.chunks[2]) != 1:
        raise ValueError(f"x's feature axis is split into chunks {x.chunks[2]}: every sequence's features must "
                         "be in one chunk; call x.rechunk({2: -1})")
    if len(x.chunks[ta]) > 1:
        if not time_chunks_allowed:
            raise ValueError(f"x's time axis (axis {ta}) is split into chunks {x.chunks[ta]}: training needs "
                             f"each sequence in one chunk; call x.rechunk({{{ta}: -1}})")
        if layer.bidirectional:
            raise ValueError(f"x's time axis (axis {ta}) is split into chunks {x.chunks[ta]}, but a "
                             "bidirectional layer reads each sequence from both ends and cannot stream over "
                             f"time; call x.rechunk({{{ta}: -1}})")
    if 0 in x.chunks[ta] or 0 in x.chunks[ba]:
        raise ValueError(f"x has empty chunks {x.chunks}; rechunk without zero-size blocks")
    return x


def _split(name, a, bchunks, batch_axis, shape):
    """A NumPy or Dask argument (batch along batch_axis) as one entry per batch block: ndarrays or dask keys.

    Returns (blocks, dependencies) where blocks[b] is an ndarray slice or the key of a Dask block."""
    if isinstance(a, da.Array):
        if a.shape != shape:
            raise ValueError(f"{name} must have shape {shape}, got {a.shape}")
        if a.chunks[batch_axis] != bchunks:
            raise ValueError(f"{name}'s batch chunks {a.chunks[batch_axis]} do not match x's batch chunks "
                             f"{bchunks}; rechunk {name} (or x) so they match")
        others = {ax: -1 for ax in range(a.ndim) if ax != batch_axis}
        if any(len(a.chunks[ax]) != 1 for ax in others):
            a = a.rechunk(others)
        keys = []
        for b in range(len(bchunks)):
            idx = [0] * a.ndim
            idx[batch_axis] = b
            keys.append((a.name, *idx))
        return keys, [a]
    arr = np.asarray(a)
    if arr.shape != shape:
        raise ValueError(f"{name} must have shape {shape}, got {arr.shape}")
    starts = [0, *accumulate(bchunks)]
    take = [slice(None)] * arr.ndim
    blocks = []
    for b in range(len(bchunks)):
        take[batch_axis] = slice(starts[b], starts[b + 1])
        blocks.append(np.ascontiguousarray(arr[tuple(take)]))
    return blocks, []


def _lengths(lengths, T, bchunks):
    """lengths [B] as per-block entries; integer dtype and (for NumPy input) 0 <= lengths <= T checked now."""
    if lengths is None:
        return [None] * len(bchunks), []
    B = sum(bchunks)
    if not isinstance(lengths, da.Array):
        lengths = np.asarray(lengths)
        if lengths.dtype.kind in "iu" and lengths.shape == (B,) and B and (lengths.min() < 0 or lengths.max() > T):
            raise ValueError(f"lengths must satisfy 0 <= lengths[b] <= T = {T}, "
                             f"got values in [{lengths.min()}, {lengths.max()}]")
    if np.dtype(lengths.dtype).kind not in "iu":
        raise TypeError(f"lengths must be an integer array, got dtype {lengths.dtype}")
    return _split("lengths", lengths, bchunks, 0, (B,))


def _state(layer, state, bchunks):
    """The initial state's components (h0 [, c0]), each as per-block entries, and their dependencies."""
    n = len(layer._state_names)
    if state is None:
        return [[None] * len(bchunks)] * n, []
    comps = [state] if n == 1 else state
    if n > 1 and not (isinstance(comps, (tuple, list)) and len(comps) == n):
        raise TypeError(f"state must be a tuple (h0, c0) or None, got {type(state).__name__}")
    LD, B = layer.num_layers * layer.num_directions, sum(bchunks)
    out, deps = [], []
    for s, a, w in zip(layer._state_names, comps, (layer.hidden_out, layer.hidden_size)):
        if a is None:
            out.append([None] * len(bchunks))
            continue
        if np.dtype(a.dtype) != layer.dtype:
            raise TypeError(f"{s}0 must have dtype {layer.dtype} (the layer's), got {a.dtype}")
        blocks, d = _split(f"{s}0", a, bchunks, 1, (LD, B, w))
        out.append(blocks)
        deps += d
    return out, deps


def _weights(layer, name):
    """The graph entry for the layer: a Future scattered to every worker when the active scheduler is a
    distributed Client, else the layer itself under one key."""
    try:
        from distributed import default_client
        client = default_client()
    except (ImportError, ValueError):
        return {name: layer}, name
    if dask.base.get_scheduler() != client.get:
        return {name: layer}, name
    return {}, client.scatter(layer, broadcast=True, hash=False)


# ----------------------------------------------------------------------------------------------- tasks
def _pack(layer, comps):
    if all(c is None for c in comps):
        return None
    if len(comps) == 1:
        return comps[0]
    B = next(c.shape[1] for c in comps if c is not None)
    LD = layer.num_layers * layer.num_directions
    return tuple(np.zeros((LD, B, w), layer.dtype) if c is None else c
                 for c, w in zip(comps, (layer.hidden_out, layer.hidden_size)))


def _local_lengths(lengths, t0, steps, T):
    """The lengths of one time chunk [t0, t0 + steps); checks 0 <= lengths <= T (Dask input arrives here)."""
    if lengths is None:
        return None
    lengths = np.asarray(lengths)
    if lengths.size and (lengths.min() < 0 or lengths.max() > T):
        raise ValueError(f"lengths must satisfy 0 <= lengths[b] <= T = {T}, "
                         f"got values in [{lengths.min()}, {lengths.max()}]")
    return np.clip(lengths.astype(np.int64) - t0, 0, steps)


def _forward_block(layer, x, state, lengths, t0, T):
    """One block: (y, final state) of layer.forward on its time chunk, starting from `state`."""
    ta = 1 if layer.batch_first else 0
    return layer.forward(x, state, _local_lengths(lengths, t0, x.shape[ta], T))


def _first_block(layer, x, comps, lengths, T):
    return _forward_block(layer, x, _pack(layer, comps), lengths, 0, T)


def _component(state, i):
    return state[i] if isinstance(state, tuple) else state


def _train_block(layer, x, comps, lengths, target, loss_fn):
    """One batch block's (loss, {name: gradient}) from forward_train, loss_fn and backward."""
    y, state, tape = layer.forward_train(x, _pack(layer, comps), lengths)
    value, dy, dstate = loss_fn(y, state, target)
    return float(value), layer.backward(tape, dy, dstate).params


def _add(a, b):
    return a[0] + b[0], {k: a[1][k] + b[1][k] for k in a[1]}


# ------------------------------------------------------------------------------------------ public API
def forward(layer, x, state=None, lengths=None):
    """Lazy inference of `layer` over a dask.array x: (y, state) as Dask arrays, shaped as layer(x, ...) returns.

    x is chunked along batch (and optionally time, carrying the state from chunk to chunk; forward direction
    only); its feature axis must be one chunk. state: None, an array (GRU/RNN) or a tuple (h0, c0) (LSTM),
    each [L*D, B, width], NumPy or Dask. lengths: None or an integer array [B], NumPy or Dask.
    Chunkings that cannot work raise ValueError here, before anything is computed."""
    _check_layer(layer)
    ta, ba = _axes(layer)
    x = _check_x(layer, x, time_chunks_allowed=True)
    T, tchunks, bchunks = x.shape[ta], x.chunks[ta], x.chunks[ba]
    lens, deps_l = _lengths(lengths, T, bchunks)
    comps, deps_s = _state(layer, state, bchunks)

    token = tokenize(x, layer.state_dict(), type(layer).__name__, repr(layer), state, lengths)
    step = f"gatecore-{layer._cell}-step-{token}"
    dsk, w = _weights(layer, f"gatecore-weights-{token}")
    t_starts = [0, *accumulate(tchunks)]
    for b in range(len(bchunks)):
        for j in range(len(tchunks)):
            xkey = (x.name, j, b, 0) if ta == 0 else (x.name, b, j, 0)
            if j == 0:
                dsk[(step, 0, b)] = (_first_block, w, xkey, [c[b] for c in comps], lens[b], T)
            else:
                prev = (operator.getitem, (step, j - 1, b), 1)
                dsk[(step, j, b)] = (_forward_block, w, xkey, prev, lens[b], t_starts[j], T)

    width = layer.num_directions * layer.hidden_out
    yname = f"gatecore-{layer._cell}-y-{token}"
    for j in range(len(tchunks)):
        for b in range(len(bchunks)):
            key = (yname, j, b, 0) if ta == 0 else (yname, b, j, 0)
            dsk[key] = (operator.getitem, (step, j, b), 0)
    ychunks = [None, None, (width,)]
    ychunks[ta], ychunks[ba] = tchunks, bchunks
    meta = np.empty((0, 0, 0), layer.dtype)
    deps = [x, *deps_l, *deps_s]
    graph = HighLevelGraph.from_collections(yname, dsk, dependencies=deps)
    y = da.Array(graph, yname, chunks=tuple(ychunks), dtype=layer.dtype, meta=meta)

    LD, J = layer.num_layers * layer.num_directions, len(tchunks)
    finals = []
    for i, (s, w_s) in enumerate(zip(layer._state_names, (layer.hidden_out, layer.hidden_size))):
        sname = f"gatecore-{layer._cell}-{s}_n-{token}"
        sdsk = {(sname, 0, b, 0): (_component, (operator.getitem, (step, J - 1, b), 1), i)
                for b in range(len(bchunks))}
        sgraph = HighLevelGraph.from_collections(sname, {**dsk, **sdsk}, dependencies=deps)
        finals.append(da.Array(sgraph, sname, chunks=((LD,), bchunks, (w_s,)), dtype=layer.dtype, meta=meta))
    return y, (finals[0] if len(finals) == 1 else tuple(finals))


def gradients_delayed(layer, x, loss_fn, target=None, state=None, lengths=None, target_axis=None):
    """The lazy form of `gradients`: a Delayed computing (loss, {name: gradient})."""
    _check_layer(layer)
    ta, ba = _axes(layer)
    x = _check_x(layer, x, time_chunks_allowed=False)
    T, bchunks = x.shape[ta], x.chunks[ba]
    if not callable(loss_fn):
        raise TypeError(f"loss_fn must be callable (y, state, target) -> (loss, dy, dstate), "
                        f"got {type(loss_fn).__name__}")
    lens, deps_l = _lengths(lengths, T, bchunks)
    comps, deps_s = _state(layer, state, bchunks)
    if target is None:
        targets, deps_t = [None] * len(bchunks), []
    else:
        shape = tuple(target.shape)
        axis = (ba if len(shape) == 3 else 0) if target_axis is None else target_axis
        if not 0 <= axis < len(shape) or shape[axis] != x.shape[ba]:
            raise ValueError(f"target's batch axis (axis {axis}) must have B = {x.shape[ba]} entries, "
                             f"got target of shape {shape}")
        targets, deps_t = _split("target", target, bchunks, axis, shape)

    token = tokenize(x, layer.state_dict(), repr(layer), loss_fn, target, state, lengths)
    name = f"gatecore-{layer._cell}-grads-{token}"
    dsk, w = _weights(layer, f"gatecore-weights-{token}")
    level = []
    for b in range(len(bchunks)):
        xkey = (x.name, 0, b, 0) if ta == 0 else (x.name, b, 0, 0)
        dsk[(name, 0, b)] = (_train_block, w, xkey, [c[b] for c in comps], lens[b], targets[b], loss_fn)
        level.append((name, 0, b))
    depth = 0
    while len(level) > 1:
        depth += 1
        nxt = []
        for i in range(0, len(level) - 1, 2):
            dsk[(name, depth, i // 2)] = (_add, level[i], level[i + 1])
            nxt.append((name, depth, i // 2))
        if len(level) % 2:
            nxt.append(level[-1])
        level = nxt
    graph = HighLevelGraph.from_collections(name, dsk, dependencies=[x, *deps_l, *deps_s, *deps_t])
    return Delayed(level[0], graph, layer=name)


def gradients(layer, x, loss_fn, target=None, state=None, lengths=None, target_axis=None):
    """Data-parallel (loss, {name: gradient}) of `layer` over the batch blocks of the dask.array x.

    loss_fn(y, state, target) -> (loss, dy, dstate) runs on each block's NumPy arrays (y and state as the
    layer returns them, target the block's rows of `target`); dstate may be None. Its loss must be a sum over
    the block's batch entries, so the tree-summed result equals the whole batch's. target (NumPy or Dask) is
    split along target_axis (default: x's batch axis for a 3-D target, else axis 0). Time must be one chunk."""
    loss, grads = gradients_delayed(layer, x, loss_fn, target, state, lengths, target_axis).compute()
    return loss, grads


def train_step(layer, x, loss_fn, target=None, state=None, lengths=None, *, lr, target_axis=None):
    """One data-parallel SGD step, p <- p - lr * grad (see `gradients`); returns the loss before the step."""
    loss, grads = gradients(layer, x, loss_fn, target, state, lengths, target_axis)
    layer.load_state_dict({k: p - layer.dtype.type(lr) * grads[k] for k, p in layer.state_dict().items()})
    return loss
