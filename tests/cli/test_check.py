"""`gatecore check`: the references pass; a backend that is slightly wrong fails with a non-zero exit status."""
import pytest

import gatecore as gc
from gatecore.cli import check
from gatecore.cli.main import main

C_BUILT = gc.backends()["c"] is True


def test_numpy_reference_agrees_with_finite_differences():
    rows = check.check_backend("numpy")
    assert len(rows) == 2 * len(check.VARIANTS)
    assert all(r[3] <= 1.0 for r in rows), [r for r in rows if r[3] > 1.0]


@pytest.mark.skipif(not C_BUILT, reason="the C core is not built")
def test_c_core_passes():
    rows = check.check_backend("c")
    assert len(rows) == 2 * 2 * len(check.VARIANTS)
    assert all(r[3] <= 1.0 for r in rows), [r for r in rows if r[3] > 1.0]


def _scaled_gru(backend_to_break, factor):
    """A gru_forward whose h_n is scaled by `factor` on `backend_to_break` (a small, real-looking bug)."""
    real = check.FORWARD["gru"]

    def wrong(*args, backend=None, **kwargs):
        y, h_n, *rest = real(*args, backend=backend, **kwargs)
        if backend == backend_to_break:
            h_n = h_n * factor
        return (y, h_n, *rest)
    return wrong


def test_exit_status_zero_when_all_pass_and_unavailable_ones_are_skipped(monkeypatch, capsys):
    monkeypatch.setattr(check.gc, "backends", lambda: {"numpy": True, "cuda": "no GPU here"})
    assert main(["check"]) == 0
    out = capsys.readouterr().out
    assert "numpy    pass" in out and "cuda     skip" in out


def test_forward_inconsistent_with_backward_fails(monkeypatch, capsys):
    monkeypatch.setattr(check.gc, "backends", lambda: {"numpy": True})
    monkeypatch.setitem(check.FORWARD, "gru", _scaled_gru("numpy", 1 + 1e-3))
    assert main(["check"]) == 1
    out = capsys.readouterr().out
    assert "numpy    FAIL" in out and "FAIL gru" in out and "FAIL lstm" not in out


@pytest.mark.skipif(not C_BUILT, reason="the C core is not built")
def test_backend_off_by_1e8_relative_fails_in_float64(monkeypatch, capsys):
    monkeypatch.setattr(check.gc, "backends", lambda: {"c": True})
    monkeypatch.setitem(check.FORWARD, "gru", _scaled_gru("c", 1 + 1e-8))
    assert main(["check"]) == 1
    out = capsys.readouterr().out
    assert "c        FAIL" in out and "gru" in out and "h_n" in out
