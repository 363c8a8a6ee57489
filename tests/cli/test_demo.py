"""`gatecore demo` on a shortened run: both cells learn the adding problem, and the output files hold API.md §6."""
import json

import pytest

from gatecore.cli.main import main

pytest.importorskip("tqdm")
pytest.importorskip("matplotlib")

FIELDS = {"task", "cell", "params", "baseline_loss", "final_loss", "train_seq_per_s", "seconds"}


def test_short_demo_learns_and_writes_its_files(tmp_path, capsys):
    out = tmp_path / "demo"
    rc = main(["demo", "--tasks", "adding", "--seq-len", "10", "--steps", "400", "--backend", "numpy",
               "--seed", "0", "--out", str(out), "--no-progress"])
    assert rc == 0
    report = json.loads((out / "demo.json").read_text())
    results = report["results"]
    assert [(r["task"], r["cell"]) for r in results] == [("adding", "lstm"), ("adding", "gru")]
    for r in results:
        assert FIELDS <= set(r), f"demo.json record lacks {FIELDS - set(r)}"
        assert 0.12 < r["baseline_loss"] < 0.21          # Var(u1 + u2) = 1/6 on 512 held-out sequences
        assert r["final_loss"] < r["baseline_loss"] / 10, f"{r['cell']} did not learn: {r['final_loss']}"
        assert r["params"] == {"lstm": 4 * 32 * (2 + 32 + 2) + 33, "gru": 3 * 32 * (2 + 32 + 2) + 33}[r["cell"]]
        assert r["train_seq_per_s"] > 0 and r["seconds"] > 0
    assert (out / "demo.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    table = capsys.readouterr().out
    assert "lstm" in table and "gru" in table and "fwd+bwd seq/s" in table


def test_copy_task_batches_and_loss_gradient():
    """The copy task's loss gradient matches central differences (the head trains on it)."""
    import numpy as np

    from gatecore.cli.tasks import Copy
    task = Copy(symbols=4, length=3)
    rng = np.random.default_rng(0)
    x, target = task.batch(9, 2, rng, dtype=np.float64)
    assert x.shape == (9, 2, 6) and target.shape == (3, 2)
    assert np.all(x.sum(axis=-1) == 1.0) and np.all(x[5, :, 5] == 1.0)
    assert np.all(x[:3].argmax(-1) == target)
    out = rng.standard_normal((3, 2, 4))
    _, grad, _ = task.loss(out, target)
    fd = np.zeros_like(out)
    for idx in np.ndindex(out.shape):
        up, down = out.copy(), out.copy()
        up[idx] += 1e-6
        down[idx] -= 1e-6
        fd[idx] = (task.loss(up, target)[0] - task.loss(down, target)[0]) / 2e-6
    np.testing.assert_allclose(grad, fd, rtol=1e-6, atol=1e-9)


def test_bad_options_name_the_argument():
    with pytest.raises(SystemExit, match="--tasks"):
        main(["demo", "--tasks", "sorting", "--no-progress"])
    with pytest.raises(SystemExit, match="--seq-len"):
        main(["demo", "--tasks", "copy", "--seq-len", "5", "--no-progress"])
