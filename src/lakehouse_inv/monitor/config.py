"""``MonitoringConfig`` (``conf/base/monitoring.yml``): drift band, anomaly thresholds, alert rules, table
maintenance and governance groups. A bad file is rejected before anything runs, naming the field."""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import AfterValidator, Field, field_validator, model_validator

from lakehouse_inv.config import StrictModel, duplicates

RuleKind = Literal[
    "quarantine_rate",  # per table: rows quarantined / rows checked in the run (gold.data_quality)
    "step_duration",  # per step: duration / median of its recent runs (gold.job_runs), both directions
    "step_rows",  # per step: rows written / median of its recent runs, both directions
    "drift_share",  # share of evaluated series whose recent accuracy left the band (gold.forecast_drift)
    "anomaly_count",  # store x product x days far outside the forecast interval (gold.demand_anomalies)
    "solver_non_optimal_share",  # per policy: items of this as-of not solved to proven optimality
    "orders_blocked_share",  # per policy: orders of this as-of that supplier terms blocked
]
SHARE_KINDS = {"quarantine_rate", "drift_share", "solver_non_optimal_share", "orders_blocked_share"}
RATIO_KINDS = {"step_duration", "step_rows"}
# Delta's default retention check (delta.deletedFileRetentionDuration = 7 days): a shorter VACUUM can delete
# files that a running reader or writer (or time travel a week back) still needs.
SAFE_RETENTION_HOURS = 168
_TABLE = re.compile(r"^(bronze|silver|gold)\.\w+$")


def _table_names(tables: list[str]) -> list[str]:
    bad = [t for t in tables if not _TABLE.match(t)]
    if bad:
        raise ValueError(f"tables must be named <layer>.<table>, got {bad}")
    return tables


# a list of ``<layer>.<table>`` names, checked where any model declares one
TableNames = Annotated[list[str], AfterValidator(_table_names)]


class Rule(StrictModel):
    """One alert rule. ``threshold``: a share (0..1) for share rules, a count for ``anomaly_count``, a factor
    (> 1) for step rules, which fire when the value is above ``threshold`` x or below 1 / ``threshold`` x the
    median of the step's last ``history_runs`` runs."""

    name: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    kind: RuleKind
    threshold: float = Field(ge=0)
    severity: Literal["info", "warning", "critical"] = "warning"
    fail_run: bool = Field(False, description="a firing rule also makes the run exit non-zero")
    min_count: int = Field(1, ge=1, description="share rules: evaluated only over at least this many rows")
    tables: TableNames = Field(default_factory=list, description="quarantine_rate: only these tables (default all)")
    steps: list[str] = Field(default_factory=list, description="step rules: only these steps (default all)")
    history_runs: int = Field(10, ge=1, description="step rules: recent runs the current one is compared with")
    min_history: int = Field(3, ge=1, description="step rules: fewer earlier runs than this = not evaluated")
    min_value: float = Field(0.0, ge=0, description="step rules: ignored while value and median are both below")

    @model_validator(mode="after")
    def _fits_kind(self) -> Rule:
        if self.kind in SHARE_KINDS and self.threshold > 1:
            raise ValueError(f"threshold of a {self.kind} rule is a share in [0, 1], got {self.threshold}")
        if self.kind in RATIO_KINDS and self.threshold <= 1:
            raise ValueError(f"threshold of a {self.kind} rule is a factor > 1 (e.g. 3 = 3x the median)")
        if self.tables and self.kind != "quarantine_rate":
            raise ValueError(f"tables applies to quarantine_rate rules, not {self.kind}")
        if self.steps and self.kind not in RATIO_KINDS:
            raise ValueError(f"steps applies to step_duration / step_rows rules, not {self.kind}")
        if self.min_history > self.history_runs:
            raise ValueError(f"min_history ({self.min_history}) exceeds history_runs ({self.history_runs})")
        return self


class DriftBand(StrictModel):
    """Accepted range of recent MAE / backtest MAE; outside it a series (store, department) has drifted."""

    low: float = Field(0.0, ge=0)
    high: float = Field(1.5, gt=0)

    @model_validator(mode="after")
    def _ordered(self) -> DriftBand:
        if self.low >= self.high:
            raise ValueError(f"low ({self.low}) must be below high ({self.high})")
        return self


class DriftConfig(StrictModel):
    window_days: int = Field(28, ge=1, description="recent days scored against the forecast in force before them")
    min_days: int = Field(14, ge=1, description="fewer scored days than this: status too_few_days, not judged")
    band: DriftBand = DriftBand()
    mae_floor: float = Field(0.25, gt=0, description="units/day: backtest MAE below this counts as this")

    @model_validator(mode="after")
    def _min_days(self) -> DriftConfig:
        if self.min_days > self.window_days:
            raise ValueError(f"min_days ({self.min_days}) exceeds window_days ({self.window_days})")
        return self


class AnomalyConfig(StrictModel):
    lookback_days: int = Field(7, ge=1, description="days up to --as-of re-examined every run")
    min_surprise: float = Field(1.0, gt=0, description="distance outside [p10, p90] in interval widths (>= 1 unit)")
    min_units: float = Field(3.0, ge=0, description="and at least this many units outside the interval")


class RefitConfig(StrictModel):
    """Full model selection every ``selection_every_days`` days (1 = every run); in between each series refits
    the model it selected last. Series that drifted are always re-selected."""

    selection_every_days: int = Field(1, ge=1, le=366)


class MaintenanceConfig(StrictModel):
    vacuum_retention_hours: int = Field(SAFE_RETENTION_HOURS, description="VACUUM RETAIN; never below 168")
    tables: TableNames = Field(default_factory=list, description="<layer>.<table>; empty = every silver/gold table")

    @field_validator("vacuum_retention_hours")
    @classmethod
    def _safe_retention(cls, hours: int) -> int:
        if hours < SAFE_RETENTION_HOURS:
            raise ValueError(
                f"{hours} h is below Delta's safe retention of {SAFE_RETENTION_HOURS} h (7 days): VACUUM could delete "
                "files that running readers, writers or time travel still need"
            )
        return hours


class GovernanceConfig(StrictModel):
    """Unity Catalog groups of ``gold/grants.sql`` (bundle variables on Databricks)."""

    engineers_group: str = Field("lakehouse_inv_engineers", min_length=1)
    analysts_group: str = Field("lakehouse_inv_analysts", min_length=1)

    @field_validator("engineers_group", "analysts_group")
    @classmethod
    def _plain_name(cls, name: str) -> str:
        if "`" in name or ";" in name:
            raise ValueError(f"group name {name!r} must not contain a backquote or a semicolon")
        return name


class MonitoringConfig(StrictModel):
    drift: DriftConfig = DriftConfig()
    anomalies: AnomalyConfig = AnomalyConfig()
    refit: RefitConfig = RefitConfig()
    rules: list[Rule] = Field(default_factory=list)
    maintenance: MaintenanceConfig = MaintenanceConfig()
    governance: GovernanceConfig = GovernanceConfig()

    @field_validator("rules")
    @classmethod
    def _unique_names(cls, rules: list[Rule]) -> list[Rule]:
        duplicated = duplicates(r.name for r in rules)
        if duplicated:
            raise ValueError(f"duplicate rule name(s) {duplicated}")
        return rules
