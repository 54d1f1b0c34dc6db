import os

os.environ.setdefault("PLOTLY_RENDERER", "plotly_mimetype")

import jax  # noqa: E402
import pytest  # noqa: E402
from hypothesis import settings  # noqa: E402

import ddm_explore as ddm  # noqa: E402

# Hypothesis draws the same examples on every run and on every xdist worker (derandomize: the
# examples follow from each test's source, not from a random seed), keeps no example database
# between runs, and prints the blob that reproduces a failure. Tests set max_examples themselves.
settings.register_profile("ddm_explore", derandomize=True, deadline=None, print_blob=True, database=None)
settings.load_profile("ddm_explore")


@pytest.fixture(scope="session")
def vdp():
    return ddm.systems.van_der_pol(mu=1.0, sigma=0.1)


@pytest.fixture(scope="session")
def vdp_fit(vdp):
    """Low-rank network, N = 256, fitted to Van der Pol on the default box [-3, 3]^2."""
    return ddm.fit(vdp, 256, key=jax.random.key(0), progress=False)
