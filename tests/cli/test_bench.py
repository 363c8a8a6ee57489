"""`gatecore bench`: sizes, the FLOP formula, that every peer computes the same layer, and a tiny run."""
import json

import numpy as np
import pytest

import gatecore as gc
from gatecore.cli.bench import ISSUE8, parse_sizes, summarise
from gatecore.cli.flops import flops
from gatecore.cli.main import main
from gatecore.cli.peers import _problem, make, why_not

from ..support import assert_close

# float32 peers against gatecore's float64 NumPy reference on the same weights (outputs are O(1))
RTOL, ATOL = 1e-5, 1e-5


def test_sizes():
    assert len(ISSUE8) == 27 and (512, 64, 512) in ISSUE8 and (16, 1, 64) in ISSUE8
    assert parse_sizes("issue8") == ISSUE8
    assert parse_sizes("16x2x8, 4x1x3") == [(16, 2, 8), (4, 1, 3)]
    with pytest.raises(ValueError, match="--sizes"):
        parse_sizes("16x2")


def test_flop_formula():
    assert flops("lstm", 2, 3, 4, 5) == 2 * 2 * 3 * (4 * 5) * (4 + 5)
    assert flops("gru", 2, 3, 4, 5, backward=True) == 3 * 2 * 2 * 3 * (3 * 5) * (4 + 5)


@pytest.mark.parametrize("cell", ["lstm", "gru", "rnn"])
@pytest.mark.parametrize("peer", ["numpy-loop", "torch", "onnxruntime"])
def test_peer_computes_the_same_layer(cell, peer):
    if why_not(peer):
        pytest.skip(why_not(peer))
    T, B, H = 5, 3, 4
    p = _problem(cell, T, B, H, H, "float32")
    fn = {"lstm": gc.lstm_forward, "gru": gc.gru_forward, "rnn": gc.rnn_forward}[cell]
    ref = fn(*(p[k].astype(np.float64) for k in ("x", "w_ih", "w_hh", "b_ih", "b_hh")), backend="numpy")[0]
    out = make(peer, cell, T, B, H, H, "float32")[0]()
    y = {"numpy-loop": lambda o: o, "torch": lambda o: o[0].numpy(), "onnxruntime": lambda o: o[0][:, 0]}[peer](out)
    assert_close(y, ref, RTOL, ATOL, f"{peer} {cell} y")


def test_tiny_bench_run(tmp_path):
    out = tmp_path / "bench"
    rc = main(["bench", "--sizes", "4x2x8", "--cells", "gru", "--backends", "numpy", "--peers", "numpy-loop",
               "--min-time", "0.01", "--out", str(out), "--no-progress"])
    assert rc == 0
    report = json.loads((out / "bench.json").read_text())
    timed = {(r["impl"], r["mode"]): r for r in report["records"]}
    assert set(timed) == {("numpy", "forward"), ("numpy", "forward+backward"), ("numpy-loop", "forward"),
                          ("numpy-loop", "forward+backward")}
    assert "numpy-loop offers no" in timed[("numpy-loop", "forward+backward")]["skipped"]
    r = timed[("numpy", "forward")]
    assert r["seconds"] > 0 and r["flops"] == flops("gru", 4, 2, 8, 8)
    assert r["ratio"]["numpy-loop"] == pytest.approx(timed[("numpy-loop", "forward")]["seconds"] / r["seconds"])
    assert any(s["peer"] == "numpy-loop" and s["points"] == 1 for s in report["summary"])
    assert "| gru | forward | 4 | 2 | 8 | numpy |" in (out / "bench.md").read_text()
    assert (out / "bench.png").stat().st_size > 0


def test_prepacked_cpu_is_timed_as_gatecore_and_computes_the_same(tmp_path):
    forward = make("cpu-prepacked", "lstm", 5, 3, 4, 4, "float32")[0]
    np.testing.assert_array_equal(forward()[0], make("cpu", "lstm", 5, 3, 4, 4, "float32")[0]()[0])
    out = tmp_path / "bench"
    rc = main(["bench", "--sizes", "4x2x8", "--cells", "lstm", "--backends", "cpu,cpu-prepacked", "--peers",
               "numpy-loop", "--min-time", "0.01", "--out", str(out), "--no-progress", "--no-backward"])
    assert rc == 0
    timed = {r["impl"]: r for r in json.loads((out / "bench.json").read_text())["records"]}
    assert set(timed["cpu-prepacked"]["ratio"]) == {"numpy-loop"} and set(timed["cpu"]["ratio"]) == {"numpy-loop"}


def test_rounds_take_the_median_of_the_whole_matrix_timed_again(tmp_path):
    out = tmp_path / "bench"
    rc = main(["bench", "--sizes", "4x2x8,3x1x4", "--cells", "rnn", "--backends", "numpy", "--peers", "numpy-loop",
               "--min-time", "0.01", "--out", str(out), "--no-progress", "--no-backward", "--rounds", "3"])
    assert rc == 0
    report = json.loads((out / "bench.json").read_text())
    assert report["meta"]["rounds"] == 3 and len(report["records"]) == 4
    for r in report["records"]:
        assert len(r["round_seconds"]) == 3 and r["seconds"] == sorted(r["round_seconds"])[1]
    assert "median of 3 rounds" in (out / "bench.md").read_text()
    with pytest.raises(SystemExit, match="--rounds"):
        main(["bench", "--sizes", "4x2x8", "--rounds", "0", "--out", str(out), "--no-progress"])


def test_ratio_over_rounds_is_the_median_of_each_rounds_ratio():
    """Round by round the two sides were timed seconds apart: a slow spell over both in round 2 and over the peer
    alone in round 3 gives ratios 1, 1, 3 (median 1: equal, as round 1 says); the medians' ratio would be 3."""
    from gatecore.cli.bench import _ratio
    own = {"seconds": 1.0, "round_seconds": [1.0, 3.0, 1.0]}
    peer = {"seconds": 3.0, "round_seconds": [1.0, 3.0, 3.0]}
    assert _ratio(peer, own) == 1.0
    peer["round_seconds"] = [2.0, 3.0, 4.0]                      # ratios 2, 1, 4
    assert _ratio(peer, own) == 2.0
    assert _ratio({"seconds": 2.0}, {"seconds": 0.5}) == 4.0     # one round (or none kept): the seconds


def test_summary_geomean_and_worst():
    recs = [{"impl": "cpu", "cell": "lstm", "mode": "forward", "T": t, "B": 1, "H": 8,
             "ratio": {"torch": r, "onnxruntime": 2 * r}} for t, r in ((1, 2.0), (2, 0.5), (3, 4.0))]
    fastest = next(s for s in summarise(recs) if s["peer"] == "fastest peer")
    assert fastest["geomean"] == pytest.approx((2.0 * 0.5 * 4.0) ** (1 / 3))
    assert fastest["worst"] == 0.5 and fastest["worst_at"] == "T=2 B=1 H=8"
