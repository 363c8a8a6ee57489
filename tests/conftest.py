import os

from hypothesis import HealthCheck, settings

# CI runs on 2 cores: few, small examples; no deadline (the first example pays Numba's compile)
settings.register_profile("ci", max_examples=15, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
settings.register_profile("dev", max_examples=40, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("GATECORE_HYPOTHESIS_PROFILE", "ci"))
