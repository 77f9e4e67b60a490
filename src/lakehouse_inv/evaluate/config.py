"""``conf/base/evaluate.yml``: the replay window, the baseline policies and the reported periods."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from lakehouse_inv.config import Cron, StrictModel
from lakehouse_inv.evaluate.metrics import PERIODS


class BaselineConfig(StrictModel):
    """A rule a store uses without optimization, replayed on the same demand as the policies
    (:mod:`lakehouse_inv.replenishment.rules` for the formulas).

    ``service_cover``: what a competent store manager does: review on the supplier's delivery days, every
    min(D, ⌊shelf life / 2⌋) days (at least daily; D = the supplier's delivery rhythm, ``review_days`` when
    unknown), order up to (lead time + review period) days of the average in-stock daily sales of
    the last 28 days plus a safety stock from the item's service level (primary supplier's ``service_level``,
    ``default_service_level`` when missing) and the sales' variability, never more than sells before expiry.
    ``replacement``: every ``review_days`` order what sold since the last order ("order last week's sales").
    ``days_of_cover``: every ``review_days`` order up to lead time + review period + ``safety_days`` days of
    the average daily sales of the last 28 days.
    """

    id: str = Field(pattern=r"^[A-Za-z][A-Za-z0-9_]*$")
    rule: Literal["service_cover", "replacement", "days_of_cover"]
    review_days: int = Field(
        7, ge=1, description="review period; service_cover: the longest one without a supplier delivery rhythm"
    )
    safety_days: float = Field(0.0, ge=0, description="days_of_cover: extra days of cover on top of L + R")
    default_service_level: float = Field(
        0.95, gt=0, lt=1, description="service_cover: for items whose primary supplier gives no service_level"
    )

    @model_validator(mode="after")
    def _fields_of_the_rule(self) -> BaselineConfig:
        if self.safety_days and self.rule != "days_of_cover":
            raise ValueError(f"baseline {self.id!r}: safety_days applies to rule days_of_cover only")
        return self


class WalkForwardConfig(StrictModel):
    """The walk-forward evaluation (:mod:`lakehouse_inv.evaluate.walk_forward`): a warm-up, a selection window, then
    an evaluation window ending on --as-of, replayed as one stretch from the stock on hand at its start."""

    selection_days: int = Field(91, ge=7, description="window the recommendation is chosen on")
    evaluation_days: int = Field(91, ge=7, description="later window the recommendation is scored on (out of sample)")
    forecast_step_days: int | None = Field(
        None, ge=1, description="days between forecast origins; null = forecast.yml backtest.step_days"
    )
    sales_history_days: int = Field(
        28, ge=7, description="days of in-stock sales before the window that seed the baseline rules' averages"
    )
    warmup_days: int = Field(
        28,
        ge=0,
        description="days replayed before the selection window and scored in no window: the stretch starts from the "
        "counted stock, which no policy chose, and a policy's own stock takes a review period and a lead time to "
        "arrive (fewer when the history is shorter)",
    )


class CeilingConfig(StrictModel):
    """The profit ceiling (:mod:`lakehouse_inv.evaluate.ceiling`): one model per shipment group, item set and
    period, whose value is always an upper bound. ``method: lp`` (default): the LP relaxation's bound, which does
    not depend on the clock and sat within 0.2-1 % of the MIP's best bound on the demo's groups. ``mip``: HiGHS's
    dual bound of the MIP, stopped at ``mip_gap`` or ``time_limit_s`` (status ``bound``; a zero gap over a quarter
    of days can take hours per group, and a bound stopped by the clock depends on the machine)."""

    modes: list[Literal["walk_forward", "replay"]] = Field(
        default_factory=lambda: ["walk_forward"], description="evaluation modes whose metrics get a ceiling"
    )
    method: Literal["lp", "mip"] = "lp"
    mip_gap: float = Field(0.01, ge=0, lt=1, description="mip: relative gap at which a ceiling MIP stops")
    time_limit_s: float | None = Field(None, gt=0, description="seconds per ceiling model; null = no limit")


class EvaluateConfig(StrictModel):
    schedule: Cron = Field(
        "0 5 * * 1",
        description="cron: the days evaluate runs (it also runs when forced or never run); default Mondays",
    )
    modes: list[Literal["walk_forward", "replay"]] = Field(
        default_factory=lambda: ["walk_forward", "replay"], min_length=1
    )
    walk_forward: WalkForwardConfig = WalkForwardConfig()
    horizon_days: int = Field(364, ge=7, description="replay window ending on --as-of")
    baseline: BaselineConfig = BaselineConfig(id="baseline", rule="service_cover")
    references: list[BaselineConfig] = Field(
        default_factory=lambda: [
            BaselineConfig(id="baseline_weekly_cover", rule="days_of_cover", safety_days=3),
            BaselineConfig(id="last_week_sales", rule="replacement"),
        ]
    )
    periods: list[Literal["last_week", "last_month", "last_quarter", "horizon"]] = Field(
        default_factory=lambda: list(PERIODS)
    )
    report_period: Literal["last_week", "last_month", "last_quarter", "horizon"] = "horizon"
    ceiling: CeilingConfig = CeilingConfig()

    @model_validator(mode="after")
    def _consistent(self) -> EvaluateConfig:
        ids = [self.baseline.id, *(r.id for r in self.references)]
        if len(set(ids)) != len(ids):
            raise ValueError(f"baseline and reference ids must be distinct, got {ids}")
        if len(set(self.modes)) != len(self.modes):
            raise ValueError(f"modes must be distinct, got {self.modes}")
        if self.report_period not in self.periods:
            raise ValueError(f"report_period {self.report_period!r} is not one of periods {self.periods}")
        return self

    @property
    def baselines(self) -> list[BaselineConfig]:
        return [self.baseline, *self.references]
