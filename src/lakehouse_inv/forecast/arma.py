"""Regression with ARMA(p, q) errors, ``y = X b + u``, ``phi(L) u = theta(L) e``, by conditional least squares.

Why not ``statsmodels``' ``SARIMAX``/``ARIMA``: the state-space MLE of SARIMA(1,0,1)(1,0,1,7) costs 0.1-0.5 s per
730-day series, and even ``ARIMA(...).fit(method="hannan_rissanen")`` spends most of its time building model
objects (~26 ms per fit + forecast). Here everything is a few ``lfilter`` passes and tiny least-squares solves
(0.4-0.8 ms per 730-day fit):

1. Hannan-Rissanen start: OLS for ``b``, a long AR on the OLS residuals to estimate the innovations, then OLS of
   ``u_t`` on its own lags and the lagged estimated innovations for ``(phi, theta)``.
2. Joint Gauss-Newton on the conditional sum of squares over ``(b, phi, theta)``: the residual is
   ``e = theta(L)^-1 phi(L) (y - X b)``, and every column of its Jacobian is one more ``1/theta(L)`` filter of a
   known series (``phi(L) X``, lags of ``u``, lags of ``e``), so one 2-D ``lfilter`` gives the whole Jacobian.
   Steps are halved until the sum of squares falls and the AR/MA polynomials stay stationary/invertible.

Conditional least squares (zero pre-sample values) is asymptotically the Gaussian MLE; on 730 days the two agree
to the second decimal (see ``tests/forecast/test_forecast_arma.py``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.signal import lfilter

# AR/MA inverse roots are kept inside this radius: drifting demand wants an AR root near (not at) one.
ROOT_BOUND = 0.999
# Long-AR order for the Hannan-Rissanen innovations: four weeks covers what the weekday dummies leave behind.
LONG_AR_ORDER = 28
# Gauss-Newton stops once a step lowers the sum of squares by less than this fraction: forecasts stop moving
# long before the parameters do on the flat near-cancelling (phi ~ -theta) ridges of ARMA(1,1).
CONVERGED_GAIN = 1e-6
_SHRINK = 0.9
_MAX_HALVINGS = 12


@dataclass(frozen=True)
class ArmaFit:
    """Estimates of ``y = X b + u`` with ARMA(p, q) errors; ``sigma2`` is the innovation variance."""

    beta: np.ndarray
    ar: np.ndarray
    ma: np.ndarray
    sigma2: float
    n_used: int
    n_iter: int
    converged: bool

    @property
    def n_params(self) -> int:
        return len(self.beta) + len(self.ar) + len(self.ma) + 1

    def information_criterion(self, kind: str) -> float:
        penalty = 2.0 if kind == "aic" else np.log(self.n_used)
        return self.n_used * np.log(max(self.sigma2, 1e-300)) + penalty * self.n_params


def is_stable(lag_coefs: np.ndarray) -> bool:
    """Whether ``1 + c1 L + ... + ck L^k`` has all inverse roots inside :data:`ROOT_BOUND`."""
    if len(lag_coefs) == 0:
        return True
    if len(lag_coefs) == 1:
        return abs(lag_coefs[0]) < ROOT_BOUND
    return bool(np.all(np.abs(np.roots(_lag_poly(lag_coefs, 1.0))) < ROOT_BOUND))


def half_life_days(ar: np.ndarray) -> float:
    """Days until a level deviation has halved under the AR dynamics (largest inverse root): the level's memory."""
    modulus = float(np.max(np.abs(np.roots(_lag_poly(ar, -1.0))), initial=0.0))
    return float(np.log(0.5) / np.log(modulus)) if modulus > 0 else 0.0


def _stable_start(ar: np.ndarray, ma: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Shrink Hannan-Rissanen estimates towards zero until stationary and invertible."""
    for _ in range(50):
        if is_stable(-ar) and is_stable(ma):
            return ar, ma
        ar, ma = ar * _SHRINK, ma * _SHRINK
    return np.zeros_like(ar), np.zeros_like(ma)


def _lags(x: np.ndarray, k: int) -> np.ndarray:
    """Columns ``x_{t-1} .. x_{t-k}`` with zeros before the start."""
    out = np.zeros((len(x), k))
    for j in range(1, k + 1):
        out[j:, j - 1] = x[:-j]
    return out


def _lstsq(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Least squares by the normal equations (the problems are tiny and well posed); SVD if singular."""
    try:
        return np.linalg.solve(a.T @ a, a.T @ b)
    except np.linalg.LinAlgError:
        return np.linalg.lstsq(a, b, rcond=None)[0]


def _lag_poly(coefs: np.ndarray, sign: float) -> np.ndarray:
    """``[1, sign * c1, ..., sign * ck]``: the lag polynomial as ``lfilter`` wants it."""
    poly = np.empty(len(coefs) + 1)  # not np.concatenate: called ~45 times per series
    poly[0] = 1.0
    poly[1:] = sign * coefs
    return poly


def _apply_ar(x: np.ndarray, ar: np.ndarray) -> np.ndarray:
    """``phi(L) x`` (zero pre-sample), written out because FIR ``lfilter`` on 2-D input loops in Python."""
    out = x.copy()
    for j, coef in enumerate(ar, start=1):
        out[j:] -= coef * x[:-j]
    return out


def hannan_rissanen(u: np.ndarray, p: int, q: int) -> tuple[np.ndarray, np.ndarray]:
    """ARMA(p, q) coefficients of a zero-mean series by the two-step Hannan-Rissanen regressions."""
    if p == 0 and q == 0:
        return np.zeros(0), np.zeros(0)
    n = len(u)
    start = p
    regressors = [_lags(u, p)]
    if q:
        m = max(p + q + 1, min(LONG_AR_ORDER, n // 5))
        long_ar = _lags(u, m)
        innovations = u - long_ar @ _lstsq(long_ar[m:], u[m:])
        innovations[:m] = 0.0
        regressors.append(_lags(innovations, q))
        start = m + max(p, q)
    z = np.hstack(regressors)
    coef = _lstsq(z[start:], u[start:])
    return _stable_start(coef[:p], coef[p:])


def arma_innovations(u: np.ndarray, ar: np.ndarray, ma: np.ndarray) -> np.ndarray:
    """``e = theta(L)^-1 phi(L) u`` with zero pre-sample values."""
    return lfilter(_lag_poly(ar, -1.0), _lag_poly(ma, 1.0), u)


def fit_regression_arma(y: np.ndarray, x: np.ndarray, p: int, q: int, *, max_iter: int = 8) -> ArmaFit:
    """Conditional least squares for ``y = x b + u`` with ARMA(p, q) ``u`` (module docstring for the method)."""
    n, k = x.shape
    start = p
    if n - start <= k + p + q:
        raise ValueError(f"{n} observations cannot identify {k} regressors and ARMA({p},{q})")
    beta = _lstsq(x, y)
    ar, ma = hannan_rissanen(y - x @ beta, p, q)
    params = np.concatenate((beta, ar, ma))

    def residuals(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        u = y - x @ values[:k]
        return u, arma_innovations(u, values[k : k + p], values[k + p :])

    u, e = residuals(params)
    sse = float(e[start:] @ e[start:])
    n_iter, converged = 0, False
    while n_iter < max_iter and not converged:
        n_iter += 1
        ar, ma = params[k : k + p], params[k + p :]
        basis = np.hstack([_apply_ar(x, ar), _lags(u, p), _lags(e, q)])
        jac = lfilter([1.0], _lag_poly(ma, 1.0), basis, axis=0)[start:] if q else basis[start:]
        step = _lstsq(jac, e[start:])
        new_sse = np.inf
        for _ in range(_MAX_HALVINGS):
            trial = params + step
            if is_stable(-trial[k : k + p]) and is_stable(trial[k + p :]):
                trial_u, trial_e = residuals(trial)
                new_sse = float(trial_e[start:] @ trial_e[start:])
                if new_sse < sse:
                    break
            step = step / 2
        if not new_sse < sse:  # no step downhill is left: a (local) minimum
            converged = True
            continue
        converged = (sse - new_sse) / sse < CONVERGED_GAIN
        params, u, e, sse = trial, trial_u, trial_e, new_sse
    n_used = n - start
    return ArmaFit(
        beta=params[:k],
        ar=params[k : k + p],
        ma=params[k + p :],
        sigma2=sse / n_used,
        n_used=n_used,
        n_iter=n_iter,
        converged=converged,
    )


def _state(x: np.ndarray, origins: np.ndarray, k: int) -> np.ndarray:
    """``x[o-1], ..., x[o-k]`` for each origin (zeros before the start)."""
    idx = origins[:, None] - 1 - np.arange(k)[None, :]
    return np.where(idx >= 0, x[np.maximum(idx, 0)], 0.0)


def arma_forecast(
    u: np.ndarray, e: np.ndarray, ar: np.ndarray, ma: np.ndarray, origins: np.ndarray, horizon: int
) -> np.ndarray:
    """Conditional mean of ``u`` over ``horizon`` days after each origin, shape ``(len(origins), horizon)``.

    The state at origin ``o`` uses ``u[:o]`` and ``e[:o]`` only; parameters are fixed, so one innovations pass over
    the history serves every origin of a rolling backtest.
    """
    u_state = _state(u, origins, len(ar))
    e_state = _state(e, origins, len(ma))
    out = np.empty((len(origins), horizon))
    for h in range(horizon):
        step = u_state @ ar + e_state @ ma
        out[:, h] = step
        if len(ar):
            u_state[:, 1:] = u_state[:, :-1]
            u_state[:, 0] = step
        if len(ma):
            e_state[:, 1:] = e_state[:, :-1]
            e_state[:, 0] = 0.0
    return out
