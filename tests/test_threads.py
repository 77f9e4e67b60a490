"""BLAS pinning: environment for workers not started yet, ctypes for an already loaded OpenBLAS."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest

from lakehouse_inv.threads import (
    BLAS_THREAD_ENV_VARS,
    _loaded_openblas,
    blas_thread_env,
    limit_blas_threads,
    pin_blas_threads,
)


def test_env_mapping_covers_the_common_runtimes() -> None:
    assert blas_thread_env(1) == dict.fromkeys(BLAS_THREAD_ENV_VARS, "1")
    assert {"OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"} <= set(BLAS_THREAD_ENV_VARS)


def test_pinning_before_numpy_import_reaches_openblas() -> None:
    code = (
        "from lakehouse_inv.threads import pin_blas_threads_env, _loaded_openblas\n"
        "pin_blas_threads_env(1)\n"
        "import numpy\n"
        "print([lib.get() for lib in _loaded_openblas()])\n"
    )
    env = {k: v for k, v in os.environ.items() if k not in BLAS_THREAD_ENV_VARS}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True).stdout
    counts = json.loads(out)
    if not counts:
        pytest.skip("numpy is not linked against OpenBLAS here")
    assert set(counts) == {1}


def test_runtime_limit_sets_and_restores_thread_count() -> None:
    np.ones((2, 2)) @ np.ones((2, 2))  # make sure numpy's BLAS is loaded
    libraries = _loaded_openblas()
    if not libraries:
        pytest.skip("numpy is not linked against OpenBLAS here")
    before = [lib.get() for lib in libraries]
    with limit_blas_threads(1) as limited:
        assert limited == len(libraries)
        assert all(lib.get() == 1 for lib in libraries)
    assert [lib.get() for lib in libraries] == before


def test_pinning_at_run_time_is_done_once_per_process() -> None:
    libraries = _loaded_openblas()
    if not libraries:
        pytest.skip("numpy is not linked against OpenBLAS here")
    before = [lib.get() for lib in libraries]
    pin_blas_threads.cache_clear()
    try:
        assert pin_blas_threads(1) == len(libraries)
        assert all(lib.get() == 1 for lib in libraries)
        libraries[0].set(2)
        changed = libraries[0].get()
        pin_blas_threads(1)  # cached: does not touch the libraries again
        assert libraries[0].get() == changed
    finally:
        pin_blas_threads.cache_clear()
        for lib, count in zip(libraries, before, strict=True):
            lib.set(count)
