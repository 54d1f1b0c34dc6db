"""The solvers of ``ddm.simulate`` (Euler–Maruyama, stochastic Heun, Itô–Milstein) and ``ddm.check_dt``.

Convergence orders are fitted as the slope of log(error) against log(dt) over 4 steps, on one
Brownian path refined (a coarse increment is the sum of the fine ones), against references that
do not come from the code under test: exact solutions on the path (geometric Brownian motion,
``sinh(a W + c)``), exact moments (Ornstein–Uhlenbeck), the logistic equation's closed form and
scipy's DOP853 in float64 for a network. Each order must fall in a stated band. Every random
number comes from a fixed numpy seed or JAX key.
"""

import warnings

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from scipy.integrate import solve_ivp

import ddm_explore as ddm
from ddm_explore.simulation import simulate_path

KEY = jax.random.key(0)
SOLVERS = ("euler", "heun", "milstein")


def _order(dts, errors):
    return float(np.polyfit(np.log(dts), np.log(errors), 1)[0])


def _coarsen(dW, factor):
    """Increments of steps ``factor`` times longer on the same Brownian path: sums of the fine ones."""
    n, steps, m = dW.shape
    return dW.reshape(n, steps // factor, factor, m).sum(axis=2)


def _path_end(sde, dW, dt, z0, solver):
    return simulate_path(sde, dW, dt=dt, z0=z0, solver=solver, check_accuracy=False).z.values[:, -1].astype(np.float64)


@pytest.fixture(scope="module")
def vdp_net():
    # a larger ridge than the default keeps the readout weights O(1), so float32 rounding of the
    # drift (1e-4 with the default ridge at N = 32, where weights reach 470) stays below the
    # solvers' errors
    return ddm.fit(ddm.systems.van_der_pol(), 32, key=KEY, solver=ddm.ClosedForm(ridge=0.1), progress=False)[0]


@pytest.fixture(scope="module")
def multiplicative_net():
    return ddm.fit(ddm.systems.multiplicative_ou(), 32, key=KEY, noise="multiplicative", progress=False)[0]


# -- the default and the shared noise stream ----------------------------------------------------

def test_default_is_euler_with_todays_numbers(vdp_net):
    vdp = ddm.systems.van_der_pol()
    kw = dict(t_max=1.0, dt=0.01, n_trials=3, key=KEY, progress=False)
    base = ddm.simulate(vdp, **kw).z.values
    for solver in ("euler", ddm.Euler(), "EULER"):
        assert np.array_equal(ddm.simulate(vdp, solver=solver, **kw).z.values, base)
    # additive noise: Milstein's correction vanishes, the step is Euler–Maruyama's
    assert np.array_equal(ddm.simulate(vdp, solver="milstein", **kw).z.values, base)
    assert ddm.simulate(vdp, **kw).attrs["method"] == "Euler-Maruyama"
    priv = vdp_net.replace(private_noise=jnp.float32(0.1))
    kw.update(record_every=3)
    a, b = ddm.simulate(priv, **kw), ddm.simulate(priv, solver=ddm.Euler(), **kw)
    assert np.array_equal(a.z.values, b.z.values)


def test_every_solver_sees_the_same_brownian_path(vdp_net):
    # zero drift, constant loading: z = z0 + G W for every solver, the same bits
    pure = ddm.SDE(drift=lambda z, u: 0.0 * z, diffusion=np.array([[0.5, 0.1], [0.0, 0.3]]), dim=2, noise_dim=2,
                   region=([-1, -1], [1, 1]))
    kw = dict(t_max=2.0, dt=0.01, n_trials=4, key=KEY, z0=[0.2, -0.1], record_every=5, progress=False)
    runs = [ddm.simulate(pure, solver=s, **kw).z.values for s in SOLVERS]
    assert np.array_equal(runs[0], runs[1]) and np.array_equal(runs[0], runs[2])
    # a network with private noise: Heun and Euler differ by the O(dt) drift error on one path,
    # far less than two paths differ (measured: 0.036 against 1.13)
    priv = vdp_net.replace(private_noise=jnp.float32(0.2))
    kw = dict(t_max=2.0, dt=0.01, n_trials=4, z0=[1.0, 0.0], record_every=5, progress=False)
    e, h = (ddm.simulate(priv, key=KEY, solver=s, **kw).z.values for s in ("euler", "heun"))
    other = ddm.simulate(priv, key=jax.random.key(1), **kw).z.values
    assert np.abs(e - h).max() < 0.1 * np.abs(e - other).max()


def test_simulate_path_is_euler_maruyama_in_float64():
    sde = ddm.systems.state_dependent_ou(s=0.4)
    rng = np.random.default_rng(0)
    dt, n = 0.01, 200
    dW = rng.normal(0.0, np.sqrt(dt), (3, n, 2))
    z = simulate_path(sde, dW, dt=dt, z0=[1.0, -0.5]).z.values
    x = np.tile([1.0, -0.5], (3, 1))
    for k in range(n):  # the same scheme, written out: f = -z, g = s (1 + z1^2 / 4) I
        x = x - x * dt + 0.4 * (1 + x[:, :1] ** 2 / 4) * dW[:, k]
    assert np.abs(z[:, -1] - x).max() < 1e-5


# -- strong order on one refined Brownian path -------------------------------------------------

def _gbm():
    """dX = mu X dt + s X dW, X_T = X_0 exp((mu - s^2 / 2) T + s W_T)."""
    mu, s = 1.0, 0.5
    sde = ddm.SDE(drift=lambda z, u: mu * z, diffusion=lambda z: s * z[:, None], dim=1, noise_dim=1, region=([0.5], [2.0]))
    return sde, 1.0, lambda W: np.exp((mu - s**2 / 2) + s * W)


def _sinh():
    """dX = a^2 X / 2 dt + a sqrt(1 + X^2) dW, X_T = sinh(a W_T + asinh(X_0)) (by Itô's formula; Kloeden & Platen 1992, section 4.4)."""
    a = 1.0
    sde = ddm.SDE(drift=lambda z, u: 0.5 * a**2 * z, diffusion=lambda z: a * jnp.sqrt(1 + z**2)[:, None], dim=1,
                  noise_dim=1, region=([-1.0], [1.0]))
    return sde, 0.5, lambda W: np.sinh(a * W + np.arcsinh(0.5))


MILSTEIN_DF = ddm.Milstein(derivative_free=True)


@pytest.mark.parametrize("problem", [_gbm, _sinh], ids=["gbm", "sinh"])
@pytest.mark.parametrize("solver, band", [("euler", (0.4, 0.65)), ("heun", (0.4, 0.65)), ("milstein", (0.85, 1.2)),
                                          (MILSTEIN_DF, (0.85, 1.2))], ids=["euler", "heun", "milstein", "milstein-df"])
def test_strong_order_with_multiplicative_noise(problem, solver, band):
    # E|X_T - X(T)| over 2000 paths of one Brownian motion, dt = 1/16 ... 1/128 (measured, gbm / sinh:
    # Euler 0.58 / 0.45, Heun 0.50 / 0.46, Milstein 0.98 / 0.95, derivative-free 0.98 / 0.97)
    sde, x0, exact = problem()
    fine = 128
    dW = np.random.default_rng(1).normal(0.0, np.sqrt(1.0 / fine), (2000, fine, 1))
    x_true = exact(dW.sum(axis=(1, 2)))
    dts, errors = [], []
    for factor in (8, 4, 2, 1):
        x = _path_end(sde, _coarsen(dW, factor), factor / fine, [x0], solver)[:, 0]
        dts.append(factor / fine)
        errors.append(np.mean(np.abs(x - x_true)))
    assert band[0] <= _order(dts, errors) <= band[1], (dts, errors)


def test_milstein_strong_order_one_for_diagonal_noise():
    # two independent GBMs (diagonal, hence commutative, noise in two channels): Milstein keeps order 1
    mu, s = np.array([0.5, -0.5]), np.array([0.4, 0.8])
    sde = ddm.SDE(drift=lambda z, u: jnp.asarray(mu, jnp.float32) * z, diffusion=lambda z: jnp.diag(jnp.asarray(s, jnp.float32) * z),
                  dim=2, noise_dim=2, region=([0.5, 0.5], [2.0, 2.0]))
    fine = 128
    dW = np.random.default_rng(2).normal(0.0, np.sqrt(1.0 / fine), (1000, fine, 2))
    x_true = np.exp(mu - s**2 / 2 + s * dW.sum(axis=1))
    dts, errors = [], []
    for factor in (8, 4, 2, 1):
        x = _path_end(sde, _coarsen(dW, factor), factor / fine, [1.0, 1.0], "milstein")
        dts.append(factor / fine)
        errors.append(np.mean(np.linalg.norm(x - x_true, axis=-1)))
    assert 0.85 <= _order(dts, errors) <= 1.2, errors  # measured 1.00 (Euler 0.55)


# -- weak order ---------------------------------------------------------------------------------

def _ou_scheme_second_moment(solver, n_steps, *, lam=1.0, s=1.0, x0=1.0, t=1.0):
    """E[X_n^2] of the scheme on dX = -lam X dt + s dW, without Monte Carlo: on a linear SDE with
    additive noise the scheme is affine in (x0, dW), so its mean is the noise-free run and its
    variance dt * sum_k c_k^2, c_k the response at t to a unit increment at step k (one trial each)."""
    ou = ddm.SDE(drift=lambda z, u: -lam * z, diffusion=s * np.eye(1), dim=1, noise_dim=1, region=([-1.0], [1.0]))
    dW = np.concatenate([np.zeros((1, n_steps, 1)), np.eye(n_steps)[:, :, None]])
    z0 = np.concatenate([[[x0]], np.zeros((n_steps, 1))])
    end = _path_end(ou, dW, t / n_steps, z0, solver)[:, 0]
    return end[0] ** 2 + t / n_steps * np.sum(end[1:] ** 2)


@pytest.mark.parametrize("solver, band", [("euler", (0.85, 1.2)), ("heun", (1.8, 2.2)), ("milstein", (0.85, 1.2))])
def test_weak_order_on_ornstein_uhlenbeck(solver, band):
    # exact: E[X_t^2] = x0^2 e^{-2 t} + (1 - e^{-2 t}) / 2 at lam = s = x0 = t = 1 (measured: 1.08, 2.03, 1.08)
    exact = np.exp(-2.0) + (1 - np.exp(-2.0)) / 2
    steps = (5, 10, 20, 40)
    errors = [abs(_ou_scheme_second_moment(solver, n) - exact) for n in steps]
    assert band[0] <= _order([1.0 / n for n in steps], errors) <= band[1], errors


def test_sampled_noise_gives_the_schemes_variance():
    # the moments above hold for the simulator's own noise stream: 20000 trials of OU at dt = 0.25,
    # sample variance at t = 1 against the scheme's exact one, within 5 standard errors
    # (SE = var sqrt(2 / n)); Euler's variance is biased away from the SDE's by more than 5 SE
    ou = ddm.SDE(drift=lambda z, u: -z, diffusion=np.eye(1), dim=1, noise_dim=1, region=([-1.0], [1.0]))
    exact = (1 - np.exp(-2.0)) / 2
    for solver in ("euler", "heun"):
        ds = ddm.simulate(ou, t_max=1.0, dt=0.25, n_trials=20000, key=KEY, z0=[0.0], solver=solver,
                          check_accuracy=False, progress=False)
        var = float(np.var(ds.z.values[:, -1, 0].astype(np.float64)))
        scheme = _ou_scheme_second_moment(solver, 4, x0=0.0)
        se = scheme * np.sqrt(2.0 / 20000)
        assert abs(var - scheme) < 5 * se, (solver, var, scheme)
        if solver == "euler":
            assert abs(var - exact) > 5 * se  # measured: 0.457 against 0.432


@pytest.mark.parametrize("solver", ["euler", "milstein"])
def test_weak_order_on_gbm(solver):
    # E[X_T] = e^{mu T}; estimated as mean(X - X_exact) + e^{mu T} on the same paths, whose noise is
    # the strong error / sqrt(n) (<= 2e-3 here) against weak errors 0.02-0.15 (measured 0.95, 0.96)
    sde, x0, exact = _gbm()
    fine = 128
    dW = np.random.default_rng(3).normal(0.0, np.sqrt(1.0 / fine), (4000, fine, 1))
    x_true = exact(dW.sum(axis=(1, 2)))
    dts, errors = [], []
    for factor in (16, 8, 4, 2):
        x = _path_end(sde, _coarsen(dW, factor), factor / fine, [x0], solver)[:, 0]
        dts.append(factor / fine)
        errors.append(abs(np.mean(x - x_true)))
    assert 0.75 <= _order(dts, errors) <= 1.25, errors


# -- order without noise ------------------------------------------------------------------------

@pytest.mark.parametrize("solver, band", [("euler", (0.9, 1.1)), ("heun", (1.8, 2.2)), ("milstein", (0.9, 1.1))])
def test_order_on_the_logistic_equation(solver, band):
    # z' = z (1 - z), z(t) = 1 / (1 + (1 / z0 - 1) e^{-t}); measured 0.99, 1.96, 0.99
    logistic = ddm.SDE(drift=lambda z, u: z * (1 - z), diffusion=np.zeros((1, 1)), dim=1, noise_dim=1, region=([0.0], [1.0]))
    exact = 1 / (1 + 9 * np.exp(-2.0))
    dts = (0.2, 0.1, 0.05, 0.025)
    errors = [abs(ddm.simulate(logistic, t_max=2.0, dt=dt, key=KEY, z0=[0.1], deterministic=True, solver=solver,
                               check_accuracy=False, progress=False).z.values[0, -1, 0] - exact) for dt in dts]
    assert band[0] <= _order(dts, errors) <= band[1], errors


@pytest.mark.parametrize("solver, band", [("euler", (0.9, 1.1)), ("heun", (1.8, 2.2))])
def test_network_order_against_scipy(vdp_net, solver, band):
    # all 32 neurons, noise-free, against DOP853 in float64 (rtol 1e-12) on -x + J tanh(x) + b
    net = vdp_net
    J, b, M = (np.asarray(a, np.float64) for a in (net.J, net.b, net.M))
    z0 = np.array([1.0, 0.5])
    x0 = np.asarray(net.embed(jnp.asarray(z0)), np.float64)
    sol = solve_ivp(lambda t, x: -x + J @ np.tanh(x) + b, (0.0, 2.0), x0, method="DOP853", rtol=1e-12, atol=1e-12)
    z_ref = np.asarray(net.centre, np.float64) + np.asarray(net.scale, np.float64) * (sol.y[:, -1] @ M / net.n_neurons)
    dts = (0.1, 0.05, 0.025, 0.0125)
    errors = [np.linalg.norm(ddm.simulate(net, t_max=2.0, dt=dt, key=KEY, z0=z0, deterministic=True, solver=solver,
                                          check_accuracy=False, progress=False).z.values[0, -1] - z_ref) for dt in dts]
    assert band[0] <= _order(dts, errors) <= band[1], errors  # measured 0.99, 1.92


@pytest.mark.parametrize("solver", [*SOLVERS, MILSTEIN_DF], ids=[*SOLVERS, "milstein-df"])
def test_network_with_multiplicative_noise_follows_its_latent_sde(multiplicative_net, solver):
    # a low-rank network keeps its manifold, so its readout is the latent SDE's process: the same
    # solver on the same noise gives the same path (float32: measured <= 6e-6), another key does not (1.9)
    net = multiplicative_net
    kw = dict(t_max=2.0, dt=0.01, n_trials=8, z0=[1.0, -0.5], solver=solver, progress=False)
    a = ddm.simulate(net, key=jax.random.key(2), **kw).z.values
    b = ddm.simulate(net.latent_sde(), key=jax.random.key(2), **kw).z.values
    c = ddm.simulate(net.latent_sde(), key=jax.random.key(3), **kw).z.values
    assert np.abs(a - b).max() < 1e-4 and np.abs(a - c).max() > 0.5


# -- the time-step check --------------------------------------------------------------------------

def _linear(rate):
    return ddm.SDE(drift=lambda z, u: -rate * z, diffusion=0.1 * np.eye(1), dim=1, noise_dim=1, region=([-1.0], [1.0]))


def test_check_dt_matches_the_linear_local_error():
    # z' = -lam z, a = lam dt: one step multiplies z by R(a), two half steps by R(a/2)^2, with
    # R(a) = 1 - a (Euler) or 1 - a + a^2 / 2 (Heun); the estimate is the Richardson-scaled
    # difference over the two half steps' displacement, (2^p / (2^p - 1)) |R(a) - R(a/2)^2| / |1 - R(a/2)^2|
    # (Euler: a / 2 to leading order, the relative bias of Euler's stationary OU variance)
    def expected(a, p):
        R = (lambda a: 1 - a) if p == 1 else (lambda a: 1 - a + a * a / 2)
        return 2**p / (2**p - 1) * abs(R(a) - R(a / 2) ** 2) / abs(1 - R(a / 2) ** 2)
    for lam, dt in ((1.0, 0.01), (4.0, 0.05), (10.0, 0.02)):
        rep = ddm.check_dt(_linear(lam), dt)
        assert rep.local_error == pytest.approx(expected(lam * dt, 1), rel=1e-3)
        assert rep.fastest_rate == pytest.approx(lam, rel=1e-4) and rep.stable_dt == pytest.approx(2 / lam, rel=1e-4)
        heun = ddm.check_dt(_linear(lam), dt, solver="heun")
        assert heun.local_error == pytest.approx(expected(lam * dt, 2), rel=1e-2)  # float32: 1e-4 of a


def test_accuracy_warning_names_a_dt_that_will_do():
    sde = _linear(15.0)  # Euler at dt = 0.01: relative local error 0.075 / (1 - 0.0375) = 0.078 > 0.05
    kw = dict(t_max=0.5, n_trials=2, key=KEY, progress=False)
    with pytest.warns(ddm.AccuracyWarning, match=r"`dt`=0.01 gives a relative local error of 0.078.*use dt <= 0.0058"):
        ddm.simulate(sde, dt=0.01, **kw)
    rep = ddm.check_dt(sde, 0.01)
    assert not rep.accurate and rep.stable and "use dt <=" in str(rep)
    assert ddm.check_dt(sde, rep.suggested_dt).accurate
    with warnings.catch_warnings():
        warnings.simplefilter("error", ddm.AccuracyWarning)
        ddm.simulate(sde, dt=0.01, check_accuracy=False, **kw)
        ddm.simulate(sde, dt=0.01, solver="heun", **kw)  # (0.15)^2 / 6 = 0.004
        ddm.simulate(sde, dt=0.005, **kw)


BUILT_INS = {  # the built-in systems and the variants the notebooks simulate
    "ornstein_uhlenbeck": lambda: ddm.systems.ornstein_uhlenbeck(w=1.0, s=0.5),
    "double_well": lambda: ddm.systems.double_well(s=0.1),
    "van_der_pol": lambda: ddm.systems.van_der_pol(),
    "van_der_pol sigma 0.3": lambda: ddm.systems.van_der_pol(mu=1.0, sigma=0.3),
    "stuart_landau": lambda: ddm.systems.stuart_landau(b=0.5),
    "lorenz63": lambda: ddm.systems.lorenz63(),
    "rossler": lambda: ddm.systems.rossler(),
    "multiplicative_ou": lambda: ddm.systems.multiplicative_ou(),
    "state_dependent_ou": lambda: ddm.systems.state_dependent_ou(),
    "ring_wells": lambda: ddm.systems.ring_wells(),
    "ring_wells c 0.4": lambda: ddm.systems.ring_wells(c=0.4, D=0.15),
    "ring_wells c -0.4": lambda: ddm.systems.ring_wells(c=-0.4, D=0.15),
    "ring_wells h 0.15": lambda: ddm.systems.ring_wells(c=0.0, D=0.1, h=0.15),
}


@pytest.mark.parametrize("name", list(BUILT_INS))
def test_built_ins_are_accurate_at_the_notebooks_dt(name):
    # Euler at dt = 0.01 (the notebooks' step): measured relative local errors 0.005
    # (state_dependent_ou) to 0.023 (Rossler), all under rtol = 0.05, so no notebook prints a warning
    rep = ddm.check_dt(BUILT_INS[name](), 0.01)
    assert rep.stable and rep.accurate, str(rep)


def test_a_fitted_network_is_accurate_at_the_notebooks_dt(vdp_net):
    default = ddm.fit(ddm.systems.van_der_pol(), 32, key=KEY, progress=False)[0]
    for net in (default, vdp_net):
        assert ddm.check_dt(net, 0.01).accurate


def test_the_check_compiles_once_per_system_structure():
    # new dt, parameter values and starts reuse the compiled check (dt and the burst length are traced)
    from ddm_explore.simulation import _check_dt

    ddm.check_dt(ddm.systems.van_der_pol(mu=1.0), 0.01)
    ddm.check_dt(ddm.systems.van_der_pol(mu=1.0), 0.01, solver="heun")
    sizes = _check_dt._doubling._cache_size(), _check_dt._jacobians._cache_size()
    for dt in (0.002, 0.02):
        ddm.check_dt(ddm.systems.van_der_pol(mu=2.0, sigma=0.3), dt)
        ddm.check_dt(ddm.systems.van_der_pol(mu=0.5), dt, solver="heun")
    assert (_check_dt._doubling._cache_size(), _check_dt._jacobians._cache_size()) == sizes


def test_a_flow_that_leaves_the_floats_is_not_estimated():
    # z' = z^3 from [1.5, 3] blows up within the burst of 0.5 (at t = 1 / (2 z0^2) <= 0.22): no
    # finite point, so nan and not "accurate"; simulate does not warn and reports the divergence itself
    blowup = ddm.SDE(drift=lambda z, u: z**3, diffusion=0.1 * np.eye(1), dim=1, noise_dim=1, region=([1.5], [3.0]))
    rep = ddm.check_dt(blowup, 0.01)
    assert np.isnan(rep.local_error) and not rep.accurate and "not estimated" in str(rep)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ddm.AccuracyWarning)
        with pytest.raises(FloatingPointError, match="simulation diverged"):
            ddm.simulate(blowup, t_max=1.0, dt=0.01, key=KEY, z0=[2.0], progress=False)


def _callback_drift(z, u):
    # a numpy drift behind jax.pure_callback: JAX cannot differentiate it
    f = lambda z: np.asarray(-np.asarray(z) ** 3 - 2.0 * np.asarray(z), np.float32)  # noqa: E731
    return jax.pure_callback(f, jax.ShapeDtypeStruct(z.shape, jnp.float32), z, vmap_method="sequential")


def test_stability_check_falls_back_to_differences_for_a_callback_drift():
    region = ([-2.0, -2.0], [2.0, 2.0])
    cb = ddm.SDE(drift=_callback_drift, diffusion=0.1 * np.eye(2), dim=2, noise_dim=2, region=region)
    same = ddm.SDE(drift=lambda z, u: -z**3 - 2.0 * z, diffusion=0.1 * np.eye(2), dim=2, noise_dim=2, region=region)
    a, b = ddm.check_dt(cb, 0.01), ddm.check_dt(same, 0.01)
    assert a.fastest_rate == pytest.approx(b.fastest_rate, rel=1e-3)  # 3 z^2 + 2 at the corner: 14
    assert a.local_error == pytest.approx(b.local_error, rel=1e-3)
    ds = ddm.simulate(cb, t_max=0.5, dt=0.01, n_trials=2, key=KEY, solver="heun", progress=False)
    assert np.isfinite(ds.z.values).all()
    with pytest.raises(ValueError, match=r"`dt`=0.5 is too large for stable"):
        ddm.simulate(cb, t_max=1.0, dt=0.5, key=KEY, progress=False)


# -- bad input ----------------------------------------------------------------------------------

VDP = ddm.systems.van_der_pol()

BAD = [
    ("unknown solver", lambda: ddm.simulate(VDP, t_max=1.0, dt=0.1, key=KEY, solver="rk4"),
     r"`solver` must be one of 'euler', 'heun', 'milstein' or a solver object .*got 'rk4'"),
    ("solver type", lambda: ddm.simulate(VDP, t_max=1.0, dt=0.1, key=KEY, solver=3),
     r"`solver` must be a solver name \('euler', 'heun', 'milstein'\) .*got 3 of type int"),
    ("solver class, not object", lambda: ddm.simulate(VDP, t_max=1.0, dt=0.1, key=KEY, solver=ddm.Heun),
     r"`solver` must be a solver name .*of type type"),
    ("check_accuracy", lambda: ddm.simulate(VDP, t_max=1.0, dt=0.1, key=KEY, check_accuracy="yes"),
     r"`check_accuracy` must be True or False, got 'yes'"),
    ("derivative_free", lambda: ddm.Milstein(derivative_free="no"), r"`derivative_free` must be True or False, got 'no'"),
    ("check_dt system", lambda: ddm.check_dt("vdp", 0.01), r"`system` must be a ddm.SDE"),
    ("check_dt dt", lambda: ddm.check_dt(VDP, -0.01), r"`dt` must be > 0, got -0.01"),
    ("check_dt rtol", lambda: ddm.check_dt(VDP, 0.01, rtol=0.0), r"`rtol` must be > 0, got 0.0"),
    ("check_dt solver", lambda: ddm.check_dt(VDP, 0.01, solver="rk45"), r"`solver` must be one of .*got 'rk45'"),
    ("path shape", lambda: simulate_path(VDP, np.zeros((2, 10, 3)), dt=0.01, z0=[0.0, 0.0]),
     r"`dW` must have shape \(n_trials, n_steps >= 1, noise_dim=2\), got \(2, 10, 3\)"),
    ("path ndim", lambda: simulate_path(VDP, np.zeros((10, 2)), dt=0.01, z0=[0.0, 0.0]), r"`dW` must have 3 dimension"),
    ("path private", lambda: simulate_path(VDP, np.zeros((2, 10, 2)), dt=0.01, z0=[0.0, 0.0], private_dW=np.zeros((2, 10, 2))),
     r"`private_dW` is required exactly when the target has private noise \(private_noise=0\), got an array"),
    ("path z0", lambda: simulate_path(VDP, np.zeros((2, 10, 2)), dt=0.01, z0=[0.0, 0.0, 0.0]), r"`z0` must have shape \(2,\)"),
    ("path unstable", lambda: simulate_path(VDP, np.zeros((2, 10, 2)), dt=1.0, z0=[0.0, 0.0]), r"`dt`=1.0 is too large"),
]


@pytest.mark.parametrize("case", BAD, ids=[c[0] for c in BAD])
def test_bad_solver_input_names_the_argument(case):
    _, call, message = case
    with pytest.raises(ValueError, match=message):
        call()


def test_network_private_noise_needs_private_increments(vdp_net):
    priv = vdp_net.replace(private_noise=jnp.float32(0.1))
    with pytest.raises(ValueError, match=r"`private_dW` is required exactly when .*private_noise=0.1\), got None"):
        simulate_path(priv, np.zeros((2, 10, 2)), dt=0.01, z0=[0.0, 0.0])
    with pytest.raises(ValueError, match=r"`private_dW` must have shape \(2, 10, 32\)"):
        simulate_path(priv, np.zeros((2, 10, 2)), dt=0.01, z0=[0.0, 0.0], private_dW=np.zeros((2, 10, 3)))
    # with the increments given, the network runs on them: zero noise is the noise-free run
    ds = simulate_path(priv, np.zeros((2, 10, 2)), dt=0.01, z0=[1.0, 0.0], private_dW=np.zeros((2, 10, 32)), solver="heun")
    free = ddm.simulate(priv, t_max=0.1, dt=0.01, key=KEY, z0=[1.0, 0.0], deterministic=True, solver="heun", progress=False)
    assert np.abs(ds.z.values[0] - free.z.values[0]).max() < 1e-5
