"""ddm.sweep: a parameter grid sharded over devices gives the same numbers as one device."""

import json
import os
import subprocess
import sys
import textwrap

import jax
import numpy as np
import pytest

import ddm_explore as ddm

SCRIPT = textwrap.dedent("""
    import json, jax, jax.numpy as jnp, numpy as np, ddm_explore as ddm

    def ou(c, sigma, seed):  # 64 Euler–Maruyama paths of dz = -c z dt + sigma dW, 200 steps
        dw = jax.random.normal(jax.random.key(seed), (200, 64)) * jnp.sqrt(0.01)
        z = jax.lax.scan(lambda z, w: (z - c * z * 0.01 + sigma * w, None), jnp.ones(64), dw)[0]
        return dict(mean=z.mean(), var=z.var(), first=z[:3])

    grid = dict(c=[0.5, 1.0, 2.0], sigma=[0.1, 0.3], seed=[0, 1, 2])
    many = ddm.sweep(ou, grid)
    one = ddm.sweep(ou, grid, devices=jax.devices()[:1])
    chunked = ddm.sweep(ou, grid, batch_size=4)
    print(json.dumps(dict(n_devices=[many.attrs["n_devices"], one.attrs["n_devices"]],
                          same=[bool(np.array_equal(many[v].values, one[v].values)) for v in many.data_vars],
                          same_chunked=[bool(np.array_equal(many[v].values, chunked[v].values)) for v in many.data_vars],
                          var=many["var"].values.tolist())))
""")


@pytest.mark.slow
def test_sweep_on_two_devices_equals_one_device():
    env = dict(os.environ, XLA_FLAGS="--xla_force_host_platform_device_count=2", JAX_PLATFORMS="cpu")
    out = subprocess.run([sys.executable, "-c", SCRIPT], env=env, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    res = json.loads(out.stdout.strip().splitlines()[-1])
    assert res["n_devices"] == [2, 1]
    assert all(res["same"]) and all(res["same_chunked"])
    # and the numbers are the OU's: stationary-ish variance grows with sigma^2 / (2 c) (t = 2); fixed
    # keys, 3 x 64 paths (relative standard error of a variance ~10%) against expected ratios of 9
    # (sigma 0.3 / 0.1) and 3.5 (c = 0.5 / 2 at t = 2: sigma^2 (1 - e^-2c t) / 2c)
    var = np.asarray(res["var"]).mean(-1)  # (c, sigma), mean over seeds
    assert np.all(var[:, 1] > var[:, 0]) and np.all(var[0] > var[2])


def test_sweep_layout_coords_and_bad_inputs():
    ds = ddm.sweep(lambda a, b: dict(s=a + b, v=jax.numpy.stack([a, b])), dict(a=[1.0, 2.0, 3.0], b=[10.0, 20.0]))
    assert ds.s.dims == ("a", "b") and ds.v.dims == ("a", "b", "dim_0")
    np.testing.assert_array_equal(ds.s.values, np.add.outer([1.0, 2.0, 3.0], [10.0, 20.0]))
    np.testing.assert_array_equal(ds.v.sel(a=2.0, b=20.0).values, [2.0, 20.0])
    with pytest.raises(ValueError, match="`grid`"):
        ddm.sweep(lambda a: a, {})
    with pytest.raises(ValueError, match=r"`grid\['a'\]`"):
        ddm.sweep(lambda a: a, dict(a=[[1.0, 2.0]]))
    with pytest.raises(ValueError, match="`fn`"):
        ddm.sweep(3, dict(a=[1.0]))
