import os

os.environ.setdefault("PLOTLY_RENDERER", "plotly_mimetype")

import jax  # noqa: E402
import pytest  # noqa: E402

import ddm_explore as ddm  # noqa: E402


@pytest.fixture(scope="session")
def vdp():
    return ddm.systems.van_der_pol(mu=1.0, sigma=0.1)


@pytest.fixture(scope="session")
def vdp_fit(vdp):
    """Low-rank network, N = 256, fitted to Van der Pol on the default box [-3, 3]^2."""
    return ddm.fit(vdp, 256, key=jax.random.key(0), progress=False)
