"""Run a per-group pandas function on the executors with few Python calls.

``groupBy(keys).applyInPandas`` makes one Arrow round trip and one Python call per group. With thousands of
small groups (a series, a store-product) that overhead costs more than the work itself, so
:func:`apply_per_group` groups by a hash bucket of the keys instead and loops over the real groups inside each
call: the function still sees exactly one group at a time, the output schema is the same, and the number of
Python calls is a few per core rather than one per group. Each group reaches the function sorted on all its
columns, so its result does not depend on the order a shuffle delivered the rows in.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd
from pyspark.sql import DataFrame
from pyspark.sql import functions as F
from pyspark.sql.types import ArrayType

from lakehouse_inv.threads import pin_blas_threads

BUCKET = "_bucket"
BUCKETS_PER_CORE = 4


def _each_group(
    bucket: pd.DataFrame,
    *,
    keys: list[str],
    fn: Callable[[pd.DataFrame], pd.DataFrame],
    columns: list[str],
    array_columns: Sequence[str] = (),
) -> pd.DataFrame:
    pin_blas_threads()  # one Python worker per core: BLAS threads on top would oversubscribe
    # a shuffle delivers rows in any order: sort on every column so ``fn`` sees the same frame on any cluster
    bucket = bucket.drop(columns=BUCKET)
    by = [*keys, *(c for c in bucket.columns if c not in keys)]
    bucket = bucket.loc[_sortable(bucket, array_columns).sort_values(by, kind="mergesort").index]
    frames = [fn(group.reset_index(drop=True)) for _, group in bucket.groupby(keys, sort=True, dropna=False)]
    frames = [f for f in frames if len(f)]
    if not frames:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in columns})
    return pd.concat(frames, ignore_index=True)[columns]


def _sortable(frame: pd.DataFrame, array_columns: Sequence[str]) -> pd.DataFrame:
    """``frame`` with the cells of its array columns (Arrow lists arrive as numpy arrays) as tuples, which pandas can
    sort on; the columns come from the Spark schema, so other frames are not scanned."""
    as_tuple = lambda v: tuple(v) if isinstance(v, np.ndarray) else v  # noqa: E731
    return frame.assign(**{c: frame[c].map(as_tuple) for c in array_columns}) if array_columns else frame


def apply_per_group(
    df: DataFrame,
    keys: Sequence[str],
    fn: Callable[[pd.DataFrame], pd.DataFrame],
    schema: str,
    *,
    buckets: int | None = None,
) -> DataFrame:
    """``fn`` applied to every group of ``df`` by ``keys``; results as a DataFrame with DDL ``schema``.

    ``buckets`` defaults to 4 per core of the cluster, enough to balance uneven groups.
    """
    from functools import partial

    n = buckets or BUCKETS_PER_CORE * df.sparkSession.sparkContext.defaultParallelism
    columns = [field.name for field in df.sparkSession.createDataFrame([], schema).schema.fields]
    bucketed = df.withColumn(BUCKET, F.pmod(F.xxhash64(*keys), F.lit(n)))
    arrays = [field.name for field in df.schema.fields if isinstance(field.dataType, ArrayType)]
    each = partial(_each_group, keys=list(keys), fn=fn, columns=columns, array_columns=arrays)
    return bucketed.groupBy(BUCKET).applyInPandas(each, schema)
