import os

# no NVIDIA device here: the CUDA tests run on Numba's simulator (set before anything imports numba)
if not os.path.exists("/dev/nvidiactl") and os.environ.get("GATECORE_REAL_GPU") != "1":
    os.environ.setdefault("NUMBA_ENABLE_CUDASIM", "1")

import pytest
from hypothesis import HealthCheck, settings

# CI runs on 2 cores: few, small examples; no deadline (the first example pays Numba's compile)
settings.register_profile("ci", max_examples=15, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
settings.register_profile("dev", max_examples=40, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("GATECORE_HYPOTHESIS_PROFILE", "ci"))


@pytest.fixture(autouse=True)
def _numba_threads_restored():
    """A test that changes Numba's thread count (the bench CLI's --threads runs in-process) gives it back, so
    later tests see every thread (the 1-vs-2-thread and concurrent-direction checks need them)."""
    import numba
    threads = numba.get_num_threads()
    yield
    numba.set_num_threads(threads)


_COMPILING_TESTS = ("test_same_bits_compiled_and_cached", "test_same_bits_with_one_and_two_threads")


def pytest_collection_finish(session):
    """Where the compiled-vs-cached and 1-vs-2-thread checks were collected, their cold compile in a fresh process
    starts now and runs beside the other tests (tests.cpu_checks.start_compiling)."""
    if session.config.option.collectonly:
        return
    if any(item.originalname in _COMPILING_TESTS for item in session.items if hasattr(item, "originalname")):
        from tests import cpu_checks
        cpu_checks.start_compiling()


def pytest_sessionfinish(session):
    import sys
    cpu_checks = sys.modules.get("tests.cpu_checks")
    if cpu_checks is not None:
        cpu_checks.stop_compiling()
