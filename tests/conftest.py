import os

# no NVIDIA device here: the CUDA tests run on Numba's simulator (set before anything imports numba)
if not os.path.exists("/dev/nvidiactl") and os.environ.get("GATECORE_REAL_GPU") != "1":
    os.environ.setdefault("NUMBA_ENABLE_CUDASIM", "1")

from hypothesis import HealthCheck, settings

# CI runs on 2 cores: few, small examples; no deadline (the first example pays Numba's compile)
settings.register_profile("ci", max_examples=15, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
settings.register_profile("dev", max_examples=40, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("GATECORE_HYPOTHESIS_PROFILE", "ci"))
