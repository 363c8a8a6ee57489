"""pytest-benchmark suite: every cell x implementation x size x mode, one benchmark group per (cell, mode, size)
so `pytest-benchmark compare` lines gatecore's backends up with the anchors (torch, onnxruntime, a NumPy loop,
the C core) measured in the same run. FLOPs (gatecore.cli.flops) and shapes are in each benchmark's extra_info.

    pytest benchmarks/test_throughput.py --benchmark-autosave              # quick sizes
    GATECORE_BENCH_SIZES=issue8 pytest benchmarks/test_throughput.py -k lstm --benchmark-autosave
    pytest-benchmark compare --group-by=group
"""
import os

import pytest

from gatecore.backends import NAMES
from gatecore.cli.bench import MODES, parse_sizes
from gatecore.cli.flops import flops
from gatecore.cli.peers import PEERS, make, why_not

SIZES = parse_sizes(os.environ.get("GATECORE_BENCH_SIZES", "quick"))   # quick | default | issue8 | TxBxH,...
IMPLS = [n for n in NAMES if n != "numpy"] + list(PEERS)


@pytest.mark.parametrize("size", SIZES, ids=[f"T{T}-B{B}-H{H}" for T, B, H in SIZES])
@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("impl", IMPLS)
@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_throughput(benchmark, cell, impl, mode, size):
    if why_not(impl):
        pytest.skip(f"{impl}: {why_not(impl)}")
    T, B, H = size
    fn = make(impl, cell, T, B, H, H, "float32")[MODES.index(mode)]
    if fn is None:
        pytest.skip(f"{impl} offers no {mode}")
    fn()
    benchmark.group = f"{cell} {mode} T={T} B={B} H={H}"
    benchmark.extra_info.update(cell=cell, impl=impl, mode=mode, T=T, B=B, I=H, H=H, dtype="float32",
                                flops=flops(cell, T, B, H, H, backward=mode != "forward"))
    benchmark(fn)
