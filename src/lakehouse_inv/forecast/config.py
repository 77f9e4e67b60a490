"""``ForecastConfig``: every knob of the forecasting core, validated before a single series is touched.

Loaded from ``conf/base/forecast.yml`` through :func:`lakehouse_inv.config.load_config`, so a bad file raises
:class:`~lakehouse_inv.config.ConfigError` naming the field. Unknown keys are rejected (``extra="forbid"``)
because a misspelt knob silently falling back to its default is worse than a failed job.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator, model_validator

from lakehouse_inv.config import Cron, StrictModel, load_config

CandidateName = Literal[
    "arima_dow", "dow_profile", "seasonal_naive", "croston_sba", "dow_profile_yearly", "pooled_profile", "dow_mean"
]
ALL_CANDIDATES: tuple[CandidateName, ...] = (
    "arima_dow",
    "dow_profile",
    "seasonal_naive",
    "croston_sba",
    "dow_profile_yearly",
    "pooled_profile",
    "dow_mean",
)
# dow_profile_yearly is opt-in: on the M5-like benchmark (730 days of history) it did not beat the others.
# pooled_profile is only eligible where the series is forecast within a group (a group column). dow_mean (the
# 12-week weekday mean) is a reference the backtest always reports.
DEFAULT_CANDIDATES: tuple[CandidateName, ...] = (*ALL_CANDIDATES[:4], "pooled_profile")

# A weekday profile needs two weeks of data at the very least; every origin keeps this much training history.
MIN_TRAIN_DAYS = 14


class ArimaConfig(StrictModel):
    """Regression on day-of-week dummies (+ log price) with ARMA(p, q) errors, fitted by conditional least squares.

    ``d`` is always 0: the level's drift is carried by the AR root (estimated close to 1 on drifting series),
    so the forecast decays from the recent level towards the long-run weekday means instead of following a
    random walk forever.
    """

    p: list[int] = Field(default_factory=lambda: [1], min_length=1, description="AR orders tried")
    q: list[int] = Field(default_factory=lambda: [1], min_length=1, description="MA orders tried")
    ic: Literal["aic", "bic"] = "aic"
    max_iter: int = Field(8, ge=0, le=100, description="Gauss-Newton steps after the Hannan-Rissanen start")
    use_price: bool = True
    min_train_days: int = Field(56, ge=MIN_TRAIN_DAYS, description="history needed before the ARIMA is a candidate")

    @field_validator("p", "q")
    @classmethod
    def _small_orders(cls, orders: list[int]) -> list[int]:
        if any(o < 0 or o > 3 for o in orders):
            raise ValueError(f"ARMA orders must be in 0..3 (low-order errors are the point), got {orders}")
        return sorted(set(orders))

    @property
    def orders(self) -> list[tuple[int, int]]:
        return [(p, q) for p in self.p for q in self.q]


class DowProfileConfig(StrictModel):
    """Recent level x long-run weekday shape: ``weeks`` is the level's memory, ``shape_days`` the shape's."""

    weeks: int = Field(6, ge=1, le=52)
    shape_days: int = Field(364, ge=7)


class CrostonConfig(StrictModel):
    """Croston with the Syntetos-Boylan bias correction; only offered for series with mostly zero days."""

    alpha: float = Field(0.1, gt=0, le=1)
    min_zero_share: float = Field(0.5, ge=0, le=1, description="share of zero days (last year) to be a candidate")


class YearlyConfig(StrictModel):
    """The ``dow_profile_yearly`` candidate: the weekday profile times last year's growth over the horizon."""

    prior_units: float = Field(20.0, ge=0, description="pseudo-units pulling a thin series' growth towards 1")


class PoolingConfig(StrictModel):
    """``pooled_profile``: a series' weekday shape shrunk towards its group's (:mod:`.pooling`)."""

    shape_days: int = Field(364, ge=7, description="days of the group's and the series' weekday shapes")
    prior_units: float = Field(60.0, ge=0, description="units at which the series' own shape weighs half")
    level_weeks: int = Field(8, ge=1, le=52, description="recent weeks whose mean is the level")
    max_own_weight: float = Field(
        0.9, gt=0, lt=1, description="no pooling once the series' own shape would weigh this much (a dense series)"
    )


class SelectionConfig(StrictModel):
    """Rolling-origin error over the last weeks decides the model of each series.

    Parameters are fitted once at the earliest origin and kept fixed while the state rolls forward, which makes
    the selection cost one fit per candidate rather than one per origin. Eight weekly origins of 7-day-ahead
    errors (56 distinct days) scored as well as 14/28-day windows in the benchmark at the lowest history cost.
    """

    origins: int = Field(8, ge=1, le=52)
    step_days: int = Field(7, ge=1)
    horizon_days: int = Field(7, ge=1)
    combine: int = Field(
        2, ge=0, le=4, description="also score the average of this many best candidates (0 or 1: no averaging)"
    )
    # RMSE is minimised by the mean, which is what the forecast publishes; MAE is minimised by the median and
    # picks near-zero forecasts (e.g. seasonal naive) for intermittent series, starving the optimizer.
    metric: Literal["mae", "rmse"] = "rmse"


class BacktestConfig(StrictModel):
    """Rolling-origin evaluation reported by ``backtest_series`` (full re-selection and refit at every origin)."""

    origins: int = Field(4, ge=1, le=52)
    step_days: int = Field(28, ge=1)
    horizon_days: int | None = Field(None, ge=1, description="defaults to the forecast horizon")
    schedule: Cron = Field(
        "0 4 * * 0",
        description="cron: the days the backtest runs (also when forced or never run); default Sundays, the day "
        "before the weekly optimization and evaluation",
    )


class DistributionConfig(StrictModel):
    """Poisson unless the backtest residuals are over-dispersed beyond sampling noise, then negative binomial; the
    quantiles drawn from it by the method each segment's backtest scores best (:mod:`.quantile_methods`)."""

    overdispersion_z: float = Field(2.0, ge=0, description="z-score the Pearson dispersion must exceed for NB")
    min_nb_size: float = Field(0.1, gt=0, description="floor on the NB size k (variance = mean + mean^2 / k)")
    quantile_methods: list[Literal["distribution", "calibrated", "conformal"]] = Field(
        default_factory=lambda: ["distribution", "calibrated", "conformal"],
        min_length=1,
        description="how quantiles are drawn from the distribution; each segment publishes the best (quantile_methods)",
    )
    coverage_min: float = Field(
        0.78,
        ge=0,
        le=1,
        description="share of held-out backtest days [p10, p90] must hold, ties at its edges split (metrics."
        "split_inside), for a method to be chosen",
    )
    min_pooled_days: int = Field(
        280, ge=0, description="held-out days a segment needs to choose its method; fewer: the first method"
    )
    switch_z: float = Field(
        2.0,
        ge=0,
        description="standard errors (series as clusters) by which another method's held-out pinball loss must beat "
        "the first method's to be published instead",
    )
    target_coverage: float = Field(
        0.8, ge=0.5, le=0.99, description="share of days the calibrated method's [p10, p90] should hold"
    )
    calibration_prior_days: float = Field(
        14.0, ge=0, description="pseudo-days pulling the calibrated levels towards the nominal ones"
    )


class GlobalModelConfig(StrictModel):
    """The LightGBM model trained across the series of a group (:mod:`.global_model`); off unless enabled."""

    enabled: bool = False
    min_series: int = Field(10, ge=2, description="series with enough history a group needs to train one")
    eval_days: int = Field(28, ge=7, description="last days on which it competes with the per-series forecasts")
    train_origins: int = Field(52, ge=1, description="rolling training origins per series")
    origin_step_days: int = Field(7, ge=1)
    n_estimators: int = Field(200, ge=1)
    learning_rate: float = Field(0.05, gt=0, le=1)
    num_leaves: int = Field(31, ge=2)
    min_child_samples: int = Field(50, ge=1)

    @model_validator(mode="after")
    def _installed(self) -> GlobalModelConfig:
        if self.enabled:
            try:
                import lightgbm  # noqa: F401
            except ImportError:
                raise ValueError("enabled needs the lightgbm package (pip install 'lightgbm>=4,<5')") from None
        return self


class CalendarConfig(StrictModel):
    """Holidays (``holidays`` package) and custom events whose effects each series learns (:mod:`.calendar`).

    The default country is the United States: the simulator's demo stores are US stores (incomes in dollars,
    US retail calendar) and so is the held-out grocery data. ``country: null`` turns the calendar off.
    """

    country: str | None = Field("US", description="ISO 3166 code of the public holidays (null: none)")
    regions: list[str] = Field(default_factory=list, description="subdivisions whose regional holidays also count")
    events_file: Path | None = Field(None, description="CSV with columns date (YYYY-MM-DD), name: custom events")
    window_days: int = Field(1, ge=0, le=7, description="days before and after each holiday with their own effect")
    prior_units: float = Field(1.0, ge=0, description="pseudo-units added to both sides of each effect's ratio")

    @field_validator("country")
    @classmethod
    def _known_country(cls, country: str | None) -> str | None:
        if country is None or not country.strip() or country.strip().lower() == "none":
            return None
        import holidays

        code = country.strip().upper()
        if code not in holidays.list_supported_countries():
            raise ValueError(f"unknown country {country!r}: expected an ISO 3166 code such as US, DE, GB or FR")
        return code

    @model_validator(mode="after")
    def _known_regions_and_events(self) -> CalendarConfig:
        if self.regions:
            import holidays

            if self.country is None:
                raise ValueError("regions need a country")
            known = holidays.list_supported_countries()[self.country]
            unknown = [r for r in self.regions if r not in known]
            if unknown:
                raise ValueError(f"unknown regions {unknown} of {self.country}; known: {', '.join(known)}")
        if self.events_file is not None:
            from lakehouse_inv.forecast.calendar import EventFileError, read_events

            try:
                read_events(str(self.events_file))
            except EventFileError as exc:
                raise ValueError(f"events_file: {exc}") from None
        return self

    def build(self):
        """The :class:`~lakehouse_inv.forecast.calendar.Calendar`, or None when there is nothing in it."""
        from lakehouse_inv.forecast.calendar import Calendar

        if self.country is None and self.events_file is None:
            return None
        events = str(self.events_file) if self.events_file else None
        return _calendar(Calendar(self.country, tuple(self.regions), events, self.window_days))


_CALENDARS: dict = {}


def _calendar(calendar):
    """One instance per distinct calendar in a process, so its cache of special days is shared by all series."""
    return _CALENDARS.setdefault(calendar, calendar)


class ForecastConfig(StrictModel):
    """Everything ``forecast_series`` and ``backtest_series`` need (``conf/base/forecast.yml``)."""

    horizon: int = Field(28, ge=1, le=366)
    history_days: int = Field(730, ge=MIN_TRAIN_DAYS)
    min_history_days: int = Field(28, ge=MIN_TRAIN_DAYS)
    quantiles: list[float] = Field(default_factory=lambda: [0.1, 0.5, 0.9], min_length=1)
    candidates: list[CandidateName] = Field(default_factory=lambda: list(DEFAULT_CANDIDATES), min_length=1)
    arima: ArimaConfig = ArimaConfig()
    dow_profile: DowProfileConfig = DowProfileConfig()
    croston: CrostonConfig = CrostonConfig()
    yearly: YearlyConfig = YearlyConfig()
    pooling: PoolingConfig = PoolingConfig()
    selection: SelectionConfig = SelectionConfig()
    backtest: BacktestConfig = BacktestConfig()
    distribution: DistributionConfig = DistributionConfig()
    calendar: CalendarConfig = CalendarConfig()
    global_model: GlobalModelConfig = GlobalModelConfig()

    @field_validator("quantiles")
    @classmethod
    def _quantile_levels(cls, levels: list[float]) -> list[float]:
        if any(not 0 < q < 1 for q in levels):
            raise ValueError(f"quantiles must lie strictly between 0 and 1, got {levels}")
        if levels != sorted(set(levels)):
            raise ValueError(f"quantiles must be strictly increasing, got {levels}")
        names = [quantile_column(q) for q in levels]
        if len(set(names)) != len(names):
            raise ValueError(f"quantiles {levels} map to duplicate columns {names}; use whole percents")
        return levels

    @field_validator("candidates")
    @classmethod
    def _unique_candidates(cls, names: list[CandidateName]) -> list[CandidateName]:
        if len(set(names)) != len(names):
            raise ValueError(f"candidates listed twice: {names}")
        return names

    @model_validator(mode="after")
    def _windows_fit(self) -> ForecastConfig:
        if self.min_history_days > self.history_days:
            raise ValueError(f"min_history_days ({self.min_history_days}) exceeds history_days ({self.history_days})")
        needed = self.selection.horizon_days + MIN_TRAIN_DAYS
        if self.min_history_days < needed:
            raise ValueError(
                f"min_history_days ({self.min_history_days}) must leave {MIN_TRAIN_DAYS} training days before a "
                f"selection origin: at least selection.horizon_days + {MIN_TRAIN_DAYS} = {needed}"
            )
        return self

    @property
    def backtest_horizon(self) -> int:
        return self.backtest.horizon_days or self.horizon


def quantile_column(level: float) -> str:
    """Output column of a quantile level: 0.1 -> ``p10``, 0.975 -> ``p97_5``."""
    percent = f"{level * 100:.6g}".replace(".", "_")
    return f"p{percent}"


def load_forecast_config(conf_dir: Path | str | None = None, env: str | None = None) -> ForecastConfig:
    """``conf/base/forecast.yml`` (+ ``conf/<env>/forecast.yml``) as a validated :class:`ForecastConfig`."""
    return load_config(ForecastConfig, "forecast", conf_dir, env)
