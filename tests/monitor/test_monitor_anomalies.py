"""gold.demand_anomalies transform on a handful of days: the latest earlier forecast, both directions, thresholds."""

from __future__ import annotations

import datetime as dt

from chispa import assert_df_equality

from lakehouse_inv.monitor.anomalies import anomaly_window, demand_anomalies
from lakehouse_inv.monitor.config import AnomalyConfig

AS_OF = dt.date(2025, 3, 10)
D = [AS_OF - dt.timedelta(days=i) for i in range(4)]  # D[0] = as_of


def test_anomalies_use_the_latest_forecast_before_each_day_and_both_thresholds(spark):
    old, new = AS_OF - dt.timedelta(days=10), AS_OF - dt.timedelta(days=2)
    forecast_rows = []
    for day in D:
        forecast_rows.append(("S1", "P1", old, day, (day - old).days, 5.0, 4.0, 2, 8))  # wide, old
        if day > new:
            forecast_rows.append(("S1", "P1", new, day, (day - new).days, 5.0, 4.0, 4, 6))  # narrow, latest
    forecasts = spark.createDataFrame(
        forecast_rows,
        "store_id string, product_id string, as_of date, target_date date, horizon_day int, mean double, "
        "variance double, p10 int, p90 int",
    )
    actuals = spark.createDataFrame(
        [
            ("S1", "P1", D[0], 9),  # vs latest [4, 6]: 3 above, width 2 -> surprise 1.5: anomaly
            ("S1", "P1", D[1], 1),  # vs latest [4, 6]: 3 below -> surprise 1.5: anomaly
            ("S1", "P1", D[2], 10),  # as_of new == day: not before it, so old [2, 8]: 2 above < min_units
            ("S1", "P1", D[3], 3),  # inside the old interval
        ],
        "store_id string, product_id string, date date, units_sold int",
    )
    config = AnomalyConfig(lookback_days=4, min_surprise=1.0, min_units=3)
    start, end = anomaly_window(AS_OF, config)
    assert (start, end) == (D[3], D[0])
    got = demand_anomalies(forecasts, actuals, config, start=start, end=end)
    expected = spark.createDataFrame(
        [
            ("S1", "P1", D[0], new, 2, 9, 5.0, 4, 6, 3.0, 1.5, 2.0, "above"),
            ("S1", "P1", D[1], new, 1, 1, 5.0, 4, 6, -3.0, 1.5, -2.0, "below"),
        ],
        "store_id string, product_id string, date date, forecast_as_of date, horizon_day int, actual_units int, "
        "forecast_mean double, p10 int, p90 int, excess_units double, surprise double, z_score double, "
        "direction string",
    )
    assert_df_equality(got, expected, ignore_row_order=True, ignore_nullable=True)
    strict = AnomalyConfig(lookback_days=4, min_surprise=2.0, min_units=3)
    assert demand_anomalies(forecasts, actuals, strict, start=start, end=end).count() == 0
