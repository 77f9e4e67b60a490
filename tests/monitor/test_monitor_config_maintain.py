"""Bad monitoring configuration is rejected naming the field; `maintain` leaves table content unchanged."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest

from lakehouse_inv.config import ConfigError, load_config
from lakehouse_inv.lakehouse.catalog import ddl_text
from lakehouse_inv.maintain.job import run
from lakehouse_inv.maintain.tables import clustering_columns
from lakehouse_inv.monitor.config import MonitoringConfig
from lakehouse_inv.pipeline.configs import load_configs

PROJECT_CONF = Path(__file__).resolve().parents[2] / "conf"


def _load(tmp_path, text: str) -> MonitoringConfig:
    (tmp_path / "base").mkdir(exist_ok=True)
    (tmp_path / "base" / "monitoring.yml").write_text(text)
    return load_config(MonitoringConfig, "monitoring", tmp_path)


@pytest.mark.parametrize(
    "text,field,why",
    [
        ("maintenance: {vacuum_retention_hours: 24}", "maintenance.vacuum_retention_hours", "below Delta's safe"),
        ("rules: [{name: q, kind: quarantine_rate, threshold: 5}]", "rules.0", "is a share in [0, 1]"),
        ("rules: [{name: s, kind: step_duration, threshold: 0.5}]", "rules.0", "a factor > 1"),
        ("rules: [{name: s, kind: cpu_usage, threshold: 1}]", "rules.0.kind", "Input should be"),
        ("rules: [{name: a, kind: anomaly_count, threshold: 1}, {name: a, kind: anomaly_count, threshold: 2}]",
         "rules", "duplicate rule name(s) ['a']"),
        ("rules: [{name: a, kind: anomaly_count, threshold: 1, tables: [silver.sales]}]", "rules.0", "tables applies"),
        ("drift: {band: {low: 2, high: 1.5}}", "drift.band", "must be below high"),
        ("drift: {window_days: 7, min_days: 14}", "drift", "exceeds window_days"),
        ("anomalies: {lookback_dayz: 7}", "anomalies.lookback_dayz", "Extra inputs are not permitted"),
        ("maintenance: {tables: [sales]}", "maintenance.tables", "<layer>.<table>"),
    ],
)  # fmt: skip
def test_bad_monitoring_config_is_rejected_naming_the_field(tmp_path, text, field, why):
    with pytest.raises(ConfigError) as err:
        _load(tmp_path, text)
    message = str(err.value)
    assert "monitoring.yml: invalid configuration" in message and f"  - {field}:" in message and why in message


def test_project_monitoring_config_loads_and_drift_window_must_fit_the_forecast(tmp_path):
    assert load_configs(PROJECT_CONF)["monitoring"].maintenance.vacuum_retention_hours >= 168
    shutil.copytree(PROJECT_CONF, tmp_path / "conf")
    (tmp_path / "conf" / "base" / "monitoring.yml").write_text("drift: {window_days: 60, min_days: 14}\n")
    with pytest.raises(ConfigError, match=r"monitoring.yml: drift.window_days \(60\) exceeds forecast.yml horizon"):
        load_configs(tmp_path / "conf")


def test_large_tables_declare_clustering():
    assert clustering_columns("silver", "sales") == ["sale_date", "store_id"]
    assert clustering_columns("silver", "daily_demand") == ["date", "store_id"]
    assert clustering_columns("gold", "daily_sales") == ["date", "store_id"]
    assert clustering_columns("gold", "demand_forecast") == ["as_of", "store_id"]
    assert clustering_columns("gold", "inventory_levels") == ["store_id", "date"]
    assert clustering_columns("gold", "orders") == []


def test_maintain_clusters_compacts_and_vacuums_without_changing_content(make_context):
    ctx = make_context()
    spark = ctx.spark
    name = ctx.table("silver", "daily_demand")
    ctx.catalog.ensure_schemas(spark)
    # a table created before its DDL declared clustering
    spark.sql(ctx.catalog.render(ddl_text("silver", "daily_demand").replace("CLUSTER BY (date, store_id)", "")))
    for day in range(3):  # three commits -> three files
        spark.sql(
            f"INSERT INTO {name} (store_id, product_id, date, units_sold, revenue, transactions, stockout) "
            f"VALUES ('S1', 'P1', DATE'2025-01-0{day + 1}', {day}, 1.0, 1, false), "
            f"('S2', 'P1', DATE'2025-01-0{day + 1}', {day + 5}, 2.0, 1, true)"
        )
    before = sorted(spark.table(name).collect())
    files = spark.sql(f"DESCRIBE DETAIL {name}").first()["numFiles"]
    assert files >= 3
    monitoring = ctx.configs["monitoring"]
    ctx.configs = {
        **ctx.configs,
        "monitoring": monitoring.model_copy(
            update={"maintenance": monitoring.maintenance.model_copy(update={"tables": ["silver.daily_demand"]})}
        ),
    }
    result = run(ctx)
    detail = spark.sql(f"DESCRIBE DETAIL {name}").first()
    assert list(detail["clusteringColumns"]) == ["date", "store_id"] and detail["numFiles"] == 1
    assert sorted(spark.table(name).collect()) == before
    assert f"1 tables optimized and vacuumed (retain 168 h): {files} -> 1 data files" in result.message
    ops = [r.operation for r in spark.sql(f"DESCRIBE HISTORY {name}").collect()]
    assert {"OPTIMIZE", "VACUUM START", "VACUUM END"} <= set(ops)
    assert dt.date(2025, 1, 3) in {r.date for r in spark.table(name).collect()}
